//! The database drivers Nuthatch speaks, named as upstream's `WOODPECKER_DATABASE_DRIVER`.

use std::fmt;
use std::str::FromStr;

/// A SQL backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Driver {
    /// SQLite (bundled), one file or `:memory:`.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    Mysql,
}

impl Driver {
    /// Upstream's canonical name: `sqlite3`, `postgres` or `mysql`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite3",
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
        }
    }
}

impl fmt::Display for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A driver name Nuthatch does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown database driver '{0}' (expected sqlite3, postgres or mysql)")]
pub struct UnknownDriver(pub String);

impl FromStr for Driver {
    type Err = UnknownDriver;

    /// Accepts upstream's names and their common aliases, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sqlite3" | "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            "mysql" | "mariadb" => Ok(Self::Mysql),
            _ => Err(UnknownDriver(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_names_and_aliases_parse() {
        for (name, driver) in [
            ("sqlite3", Driver::Sqlite),
            ("sqlite", Driver::Sqlite),
            ("postgres", Driver::Postgres),
            ("PostgreSQL", Driver::Postgres),
            ("mysql", Driver::Mysql),
            ("mariadb", Driver::Mysql),
        ] {
            assert_eq!(name.parse::<Driver>(), Ok(driver), "{name}");
        }
        assert!("oracle".parse::<Driver>().is_err());
    }

    #[test]
    fn names_are_upstreams() {
        assert_eq!(Driver::Sqlite.name(), "sqlite3");
        assert_eq!(Driver::Postgres.name(), "postgres");
        assert_eq!(Driver::Mysql.name(), "mysql");
    }
}
