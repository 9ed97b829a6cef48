//! Datasource strings as upstream accepts them, turned into what the Rust drivers take:
//! PostgreSQL URLs or libpq `key=value` DSNs, MySQL URLs or Go driver DSNs
//! (`user:pass@tcp(host:port)/db?parseTime=true`), SQLite file paths. Passwords never reach
//! `Debug` or log output.

use std::fmt;

use url::Url;

use crate::adapters::sql::Driver;

/// A parsed datasource: the URL the driver connects with and the target named in messages.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Datasource {
    url: String,
    target: String,
}

impl Datasource {
    /// Parses `raw` for `driver`; the error is one line naming what is wrong.
    pub(crate) fn parse(driver: Driver, raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("empty datasource".into());
        }
        match driver {
            Driver::Sqlite => Ok(Self { url: raw.to_owned(), target: raw.to_owned() }),
            Driver::Postgres if has_scheme(raw, &["postgres", "postgresql"]) => Self::from_url(raw, 5432),
            Driver::Postgres => Self::from_url(&libpq_to_url(raw)?, 5432),
            Driver::Mysql if has_scheme(raw, &["mysql", "mariadb"]) => {
                Self::from_url(&raw.replacen("mariadb://", "mysql://", 1), 3306)
            }
            Driver::Mysql => Self::from_url(&go_dsn_to_url(raw)?, 3306),
        }
    }

    fn from_url(url: &str, default_port: u16) -> Result<Self, String> {
        let parsed = Url::parse(url).map_err(|e| format!("invalid datasource URL: {e}"))?;
        let host = parsed.host_str().filter(|h| !h.is_empty()).unwrap_or("localhost");
        let target = format!("{host}:{}", parsed.port().unwrap_or(default_port));
        Ok(Self { url: url.to_owned(), target })
    }

    /// What the driver connects with (holds the password).
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// `host:port`, or the SQLite path: where the database is, for messages.
    pub(crate) fn target(&self) -> &str {
        &self.target
    }
}

impl fmt::Debug for Datasource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Datasource").field("url", &redact(&self.url)).field("target", &self.target).finish()
    }
}

fn has_scheme(raw: &str, schemes: &[&str]) -> bool {
    raw.split_once("://").is_some_and(|(scheme, _)| schemes.contains(&scheme.to_ascii_lowercase().as_str()))
}

/// The URL with its password replaced by `***` (unchanged when it is not a URL).
pub(crate) fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Setting a password only fails on URLs that cannot hold one, and this one does.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Splits a libpq `key=value ...` DSN (values may be single-quoted, with `\'` and `\\`).
fn libpq_pairs(dsn: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let mut chars = dsn.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=' && !c.is_whitespace())).collect();
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(format!("invalid postgres DSN: '{key}' has no value (expected key=value)"));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    Some('\\') => value.extend(chars.next()),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                    None => return Err(format!("invalid postgres DSN: unterminated quote in '{key}'")),
                }
            }
        } else {
            value.extend(std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace())));
        }
        pairs.push((key, value));
    }
}

/// `host=h port=p user=u password=pw dbname=d sslmode=disable` → `postgres://u:pw@h:p/d?sslmode=disable`.
fn libpq_to_url(dsn: &str) -> Result<String, String> {
    let mut url = Url::parse("postgres://localhost").map_err(|e| e.to_string())?;
    let mut extra = Vec::new();
    for (key, value) in libpq_pairs(dsn)? {
        let applied = match key.as_str() {
            "host" if !value.starts_with('/') => url.set_host(Some(&value)).map_err(|e| e.to_string()),
            "port" => value
                .parse()
                .map_err(|_| format!("port '{value}'"))
                .and_then(|p| url.set_port(Some(p)).map_err(|()| "cannot set port".into())),
            "user" => url.set_username(&value).map_err(|()| "cannot set user".into()),
            "password" => url.set_password(Some(&value)).map_err(|()| "cannot set password".into()),
            "dbname" => {
                url.set_path(&value);
                Ok(())
            }
            _ => {
                extra.push((key, value));
                Ok(())
            }
        };
        applied.map_err(|e| format!("invalid postgres DSN: {e}"))?;
    }
    if !extra.is_empty() {
        url.query_pairs_mut().extend_pairs(extra);
    }
    Ok(url.to_string())
}

/// Go's `[user[:password]@][net[(addr)]]/dbname[?params]` → `mysql://user:password@host:port/dbname`.
/// The Go driver's parameters (`parseTime`, `charset`, `loc`, ...) mean nothing here and are dropped;
/// a `unix(/path)` address becomes the `socket` parameter.
fn go_dsn_to_url(dsn: &str) -> Result<String, String> {
    let (left, db_and_params) = dsn
        .rsplit_once('/')
        .ok_or_else(|| "invalid mysql DSN: expected user:pass@tcp(host:port)/dbname".to_owned())?;
    let dbname = db_and_params.split_once('?').map_or(db_and_params, |(db, _)| db);
    let (userinfo, net) = left.rsplit_once('@').unwrap_or(("", left));
    let (user, password) = userinfo.split_once(':').map_or((userinfo, None), |(u, p)| (u, Some(p)));
    let (protocol, address) = match net.split_once('(') {
        Some((protocol, rest)) => (
            protocol,
            rest.strip_suffix(')').ok_or_else(|| format!("invalid mysql DSN: unclosed '(' in '{net}'"))?,
        ),
        None => (net, ""),
    };
    let mut url = Url::parse("mysql://127.0.0.1:3306").map_err(|e| e.to_string())?;
    match protocol {
        "" | "tcp" if !address.is_empty() => {
            url = Url::parse(&format!("mysql://{address}"))
                .map_err(|e| format!("invalid mysql DSN address '{address}': {e}"))?;
        }
        "" | "tcp" => {}
        "unix" => {
            url.query_pairs_mut().append_pair("socket", address);
        }
        other => return Err(format!("invalid mysql DSN: unsupported protocol '{other}'")),
    }
    url.set_username(user).map_err(|()| "invalid mysql DSN: cannot set user".to_owned())?;
    if let Some(password) = password {
        url.set_password(Some(password)).map_err(|()| "invalid mysql DSN: cannot set password".to_owned())?;
    }
    url.set_path(dbname);
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(driver: Driver, raw: &str) -> Datasource {
        Datasource::parse(driver, raw).unwrap()
    }

    #[test]
    fn postgres_urls_pass_through() {
        let ds = parse(Driver::Postgres, "postgres://root:pw@db.local:5433/ci?sslmode=disable");
        assert_eq!(ds.url(), "postgres://root:pw@db.local:5433/ci?sslmode=disable");
        assert_eq!(ds.target(), "db.local:5433");
        assert_eq!(parse(Driver::Postgres, "postgresql://db/ci").target(), "db:5432");
    }

    #[test]
    fn libpq_dsns_become_urls() {
        let ds = parse(
            Driver::Postgres,
            "host=127.0.0.1 port=5433 user=ci password='p w' dbname=wp sslmode=disable",
        );
        assert_eq!(ds.url(), "postgres://ci:p%20w@127.0.0.1:5433/wp?sslmode=disable");
        assert_eq!(ds.target(), "127.0.0.1:5433");
        assert_eq!(
            parse(Driver::Postgres, "user=postgres dbname=test").url(),
            "postgres://postgres@localhost/test"
        );
    }

    #[test]
    fn broken_libpq_dsns_are_rejected() {
        assert!(Datasource::parse(Driver::Postgres, "host").is_err());
        assert!(Datasource::parse(Driver::Postgres, "password='open").is_err());
        assert!(Datasource::parse(Driver::Postgres, "port=x").is_err());
    }

    #[test]
    fn go_mysql_dsns_become_urls() {
        let ds = parse(Driver::Mysql, "root:secret@tcp(127.0.0.1:3307)/woodpecker?parseTime=true");
        assert_eq!(ds.url(), "mysql://root:secret@127.0.0.1:3307/woodpecker");
        assert_eq!(ds.target(), "127.0.0.1:3307");
        assert_eq!(parse(Driver::Mysql, "root@/wp").url(), "mysql://root@127.0.0.1:3306/wp");
        assert_eq!(
            parse(Driver::Mysql, "u@unix(/run/mysqld.sock)/wp").url(),
            "mysql://u@127.0.0.1:3306/wp?socket=%2Frun%2Fmysqld.sock"
        );
    }

    #[test]
    fn mysql_urls_pass_through() {
        let ds = parse(Driver::Mysql, "mysql://root@127.0.0.1:3306/test");
        assert_eq!(ds.url(), "mysql://root@127.0.0.1:3306/test");
        assert_eq!(parse(Driver::Mysql, "mariadb://db/x").url(), "mysql://db/x");
    }

    #[test]
    fn bad_mysql_dsns_are_rejected() {
        assert!(Datasource::parse(Driver::Mysql, "no-slash").is_err());
        assert!(Datasource::parse(Driver::Mysql, "u@tcp(host/db").is_err());
        assert!(Datasource::parse(Driver::Mysql, "u@udp(host)/db").is_err());
    }

    #[test]
    fn sqlite_takes_paths() {
        assert_eq!(parse(Driver::Sqlite, "/var/lib/nuthatch.sqlite").target(), "/var/lib/nuthatch.sqlite");
        assert_eq!(parse(Driver::Sqlite, ":memory:").url(), ":memory:");
        assert!(Datasource::parse(Driver::Sqlite, " ").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        let ds = parse(Driver::Mysql, "root:hunter2@tcp(db:3306)/wp");
        assert!(!format!("{ds:?}").contains("hunter2"));
        assert_eq!(redact("postgres://u:pw@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
