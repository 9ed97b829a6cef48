//! The one place where driver errors become [`StoreError`]s: unique clashes are conflicts,
//! missing rows and missing parents are not-found, lost connections and timeouts are
//! unavailability, and everything else is an unknown error with its cause chain.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::adapters::sql::Driver;
use crate::ports::store::StoreError;

/// Maps the error of a query about `entity` (`"user"`, `"pipeline"`, ...).
pub(crate) fn query_error(driver: Driver, entity: &'static str, error: DieselError) -> StoreError {
    match error {
        DieselError::NotFound => StoreError::NotFound(entity),
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => StoreError::Conflict(entity),
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
            StoreError::NotFound("referenced record")
        }
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
            unavailable(driver, info.message())
        }
        DieselError::BrokenTransactionManager => unavailable(driver, "connection lost inside a transaction"),
        other => {
            StoreError::Unknown(anyhow::Error::new(other).context(format!("{driver}: {entity} query failed")))
        }
    }
}

/// An [`StoreError::Unavailable`] of `driver` with `message` squeezed onto one line.
pub(crate) fn unavailable(driver: Driver, message: impl AsRef<str>) -> StoreError {
    StoreError::Unavailable { driver: driver.name(), message: one_line(message.as_ref()) }
}

/// A driver message on one line, without the noise around the cause
/// (`error connecting to server: `, ` (os error 111)`).
pub(crate) fn one_line(message: &str) -> String {
    let joined = message.split('\n').map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ");
    let cause = joined.strip_prefix("error connecting to server: ").unwrap_or(&joined);
    match cause.rfind(" (os error ") {
        Some(at) if cause.ends_with(')') => cause[..at].to_owned(),
        _ => cause.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_noise_is_dropped() {
        assert_eq!(
            one_line("error connecting to server: Connection refused (os error 111)"),
            "Connection refused"
        );
        assert_eq!(one_line("a\n  b\n"), "a; b");
    }

    #[test]
    fn unique_clashes_are_conflicts_and_missing_rows_not_found() {
        let clash =
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, Box::new(String::from("dup")));
        assert!(matches!(query_error(Driver::Sqlite, "user", clash), StoreError::Conflict("user")));
        assert!(matches!(
            query_error(Driver::Sqlite, "user", DieselError::NotFound),
            StoreError::NotFound("user")
        ));
    }
}
