"""The language: its grammar (``autograph.lark``), the parser that runs its tables
(``grammar``), and the printer that writes nodes back as text (``printer``)."""
