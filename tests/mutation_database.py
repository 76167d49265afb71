"""Creates afresh and migrates the database that ``make mutation`` copies for each mutant's tests.

    python tests/mutation_database.py DATABASE_URL

SQLite (a file) or PostgreSQL (a database of its own: it is dropped first, with the copies of an
earlier run that was stopped).
"""

import os
import subprocess
import sys
from pathlib import Path

import environ
import psycopg

ROOT = Path(__file__).resolve().parent.parent


def main(url: str) -> None:
    config = environ.Env.db_url_config(url)
    name = config["NAME"]
    if config["ENGINE"] == "django.db.backends.sqlite3":
        for path in Path(name).parent.glob(f"{Path(name).name}*"):
            path.unlink()
        Path(name).parent.mkdir(parents=True, exist_ok=True)
    else:
        server = {"host": config["HOST"], "port": config["PORT"] or 5432, "user": config["USER"]}
        with psycopg.connect(**server, password=config["PASSWORD"], dbname="postgres", autocommit=True) as db:
            copies = db.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{name}\\_%"])
            for (copy,) in copies.fetchall():
                db.execute(f'DROP DATABASE "{copy}" WITH (FORCE)')
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            db.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0", "--settings=config.settings.test"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
    )


if __name__ == "__main__":
    main(sys.argv[1])
