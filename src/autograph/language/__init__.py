"""The language: its grammar (``autograph.lark``), the parser that runs its tables
(``grammar``), the printer that writes nodes back as text (``printer``), and the
points and names typed beside a program, ``w=3,b=1`` (``points``)."""
