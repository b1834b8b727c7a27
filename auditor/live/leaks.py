"""Strict signatures of internals leaking into response bodies: stack frames, database and driver
errors, framework debug pages.

words such as "error", "exception", "at" or a `trace` correlation id are not leaks.
Every pattern needs a shape only a real stack frame, driver message or debug page has (a file
and line number, a driver's class or error-code format, a debug page's fixed title).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_I = re.IGNORECASE
_M = re.MULTILINE

SIGNATURES: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (kind, what, re.compile(rx, flags))
    for kind, what, rx, flags in (
        # --- stack traces ---------------------------------------------------------------------
        ("stack trace", "Python", r"Traceback \(most recent call last\):", 0),
        ("stack trace", "Python", r"\bFile \"[^\"\n]+\.py\", line \d+, in [\w<>]+", 0),
        ("stack trace", "Java", r"\bat (?:[\w$]+\.)+[\w$<>]+\((?:[\w$]+\.(?:java|kt|scala|groovy):\d+|Native Method|Unknown Source)\)", 0),
        ("stack trace", ".NET", r"\bat [\w.`<>\[\],]+\([^)\n]*\) in [^\n]+:line \d+", 0),
        ("stack trace", ".NET", r"--- End of (?:inner exception )?stack trace(?: from previous location)? ---", 0),
        ("stack trace", "Node.js", r"\bat (?:[\w$.<>\[\] ]+ )?\(?(?:(?:/|[A-Za-z]:\\|file://)[^\s():]+\.(?:js|mjs|cjs|ts|jsx|tsx)|node:[\w/]+):\d+:\d+\)?", 0),
        ("stack trace", "Go", r"\bgoroutine \d+ \[[a-z ,0-9]+\]:", 0),
        ("stack trace", "Go", r"\.go:\d+ \+0x[0-9a-f]+", 0),
        ("stack trace", "Ruby", r"[\w/.-]+\.rb:\d+:in [`'][^'`\n]+'", 0),
        ("stack trace", "PHP", r"\b(?:Fatal error|Parse error|Warning|Notice)(?:</b>)?: .{1,300}? in (?:<b>)?/?[\w/.-]+\.php(?:</b>)? on line (?:<b>)?\d+", 0),
        ("stack trace", "PHP", r"^#\d+ [\w/.-]+\.php\(\d+\): ", _M),
        # --- database and driver errors -------------------------------------------------------
        ("database error", "PostgreSQL", r"\bpsycopg2?\.(?:errors\.\w+|Error|OperationalError|ProgrammingError|DataError|IntegrityError)\b", 0),
        ("database error", "PostgreSQL", r"\bPG::[A-Z]\w+(?:Error|Violation)\b", 0),
        ("database error", "PostgreSQL", r"\borg\.postgresql\.util\.PSQLException\b", 0),
        (
            "database error",
            "PostgreSQL",
            r"\b(?:ERROR|FATAL):\s+(?:syntax error at or near|unterminated quoted string at or near|invalid input syntax for (?:type )?\w+|relation \"[^\"]+\" does not exist|column \"[^\"]+\" does not exist)",
            0,
        ),
        ("database error", "PDO", r"\bSQLSTATE\[[0-9A-Z]{5}\]", 0),
        ("database error", "MySQL", r"You have an error in your SQL syntax", _I),
        ("database error", "MySQL", r"\b(?:com\.mysql\.(?:cj\.)?jdbc\.exceptions|MySqlClient\.MySqlException|MySQLdb\._exceptions|pymysql\.err)\b", 0),
        ("database error", "MySQL", r"\bmysqli?_(?:fetch_\w+|query|num_rows)\(\)", 0),
        ("database error", "SQLite", r"\bSQLITE_(?:ERROR|CONSTRAINT|MISMATCH)\b", 0),
        ("database error", "SQLite", r"\bsqlite3\.(?:OperationalError|IntegrityError|ProgrammingError|DatabaseError)\b", 0),
        ("database error", "SQLite", r"\bSQLite3?::SQLException\b|\bSQLiteException\b", 0),
        ("database error", "Oracle", r"\bORA-\d{5}\b", 0),
        ("database error", "Oracle", r"\boracle\.jdbc\.\w+|\bPLS-\d{5}\b", 0),
        ("database error", "SQL Server", r"\b(?:System|Microsoft)\.Data\.SqlClient\.SqlException\b", 0),
        ("database error", "SQL Server", r"Unclosed quotation mark after the character string", 0),
        ("database error", "SQL Server", r"\[Microsoft\]\[(?:ODBC )?(?:SQL Server|ODBC Driver \d+ for SQL Server)", 0),
        ("database error", "MongoDB", r"\b(?:MongoServerError|MongoError|com\.mongodb\.\w*Exception|pymongo\.errors\.\w+)\b", 0),
        ("database error", "MongoDB", r"\bE11000 duplicate key error\b", 0),
        ("database error", "SQLAlchemy", r"\bsqlalchemy\.exc\.\w+", 0),
        ("database error", "JDBC", r"\bjava\.sql\.SQL\w*Exception\b", 0),
        # --- framework debug pages ------------------------------------------------------------
        ("debug page", "Django", r"You're seeing this error because you have <code>DEBUG = True</code>", 0),
        ("debug page", "Werkzeug", r"The debugger caught an exception in your WSGI application|<title>[^<]*// Werkzeug Debugger</title>", 0),
        ("debug page", "Rails", r"<title>Action Controller: Exception caught</title>", 0),
        ("debug page", "Laravel", r"Whoops! There was an error\.|\bIlluminate\\(?:\w+\\)+\w*Exception\b", 0),
        ("debug page", "ASP.NET", r"Server Error in '[^']*' Application\.", 0),
        ("debug page", "Spring", r"<h1>Whitelabel Error Page</h1>", 0),
        ("debug page", "Symfony", r"\bSymfony\\Component\\\w+(?:\\\w+)*Exception\b", 0),
    )
)


@dataclass(frozen=True)
class Leak:
    kind: str  # "stack trace" | "database error" | "debug page"
    what: str  # the language, database or framework
    excerpt: str  # the matched text with a little context, one line


def find_leak(body: str | None, context: int = 100) -> Leak | None:
    """The first signature found in ``body`` (None when clean)."""
    if not body:
        return None
    for kind, what, rx in SIGNATURES:
        m = rx.search(body)
        if m is not None:
            start, end = max(0, m.start() - 20), min(len(body), m.end() + context)
            text = " ".join(body[start:end].split())
            return Leak(kind, what, ("…" if start else "") + text + ("…" if end < len(body) else ""))
    return None


# Values sent to string parameters to provoke driver errors (quotes, comment markers, a NoSQL
# operator); benign to a service that uses parameterised queries. The quote and the operator go to every
# parameter (the operator not to a path segment: no router hands one over as an object); the
# others only where one of those changed the answer (the value reached something).
INJECTION_QUOTE = "'"
INJECTION_OPERATOR = '{"$ne": null}'
INJECTION_MORE = ("' OR '1'='1", '";--', "') /*")
