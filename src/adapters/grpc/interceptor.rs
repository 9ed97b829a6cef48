//! The check in front of every `proto.Woodpecker` call (`Auth` has its own service and is not
//! checked): metadata `token` must be a valid access token, and `proto-version`, which only
//! newer agents send, must be ours. The agent named by the token travels on as [`Caller`].

use tonic::metadata::MetadataMap;
use tonic::service::Interceptor;
use tonic::{Request, Status};

use crate::app::agent_rpc::{AccessTokens, PROTOCOL_VERSION};

/// The agent a call comes from, as its access token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller(pub i64);

/// Checks token and protocol version.
#[derive(Clone)]
pub struct AuthInterceptor {
    tokens: AccessTokens,
}

impl AuthInterceptor {
    /// An interceptor accepting tokens of `tokens`.
    pub fn new(tokens: AccessTokens) -> Self {
        Self { tokens }
    }

    /// The caller, or why the call is refused.
    ///
    /// # Errors
    /// `InvalidArgument` / `FailedPrecondition` for a malformed / other protocol version,
    /// `Unauthenticated` for a missing or invalid token.
    pub fn check(&self, metadata: &MetadataMap) -> Result<Caller, Status> {
        check_version(metadata)?;
        let token = metadata
            .get("token")
            .and_then(|v| v.to_str().ok())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Status::unauthenticated("token is not provided"))?;
        self.tokens.verify(token).map(Caller).map_err(|e| Status::unauthenticated(e.to_string()))
    }
}

/// Agents from v3.17 on send `proto-version`; older ones send nothing and are let in.
fn check_version(metadata: &MetadataMap) -> Result<(), Status> {
    let Some(raw) = metadata.get("proto-version") else {
        return Ok(());
    };
    let version: i32 = raw
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| Status::invalid_argument("proto-version is not a number"))?;
    if version != PROTOCOL_VERSION {
        return Err(Status::failed_precondition(format!(
            "agent speaks protocol version {version}, the server {PROTOCOL_VERSION}"
        )));
    }
    Ok(())
}

impl Interceptor for AuthInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let caller = self.check(request.metadata())?;
        request.extensions_mut().insert(caller);
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tonic::Code;

    use crate::ports::clock::SystemClock;

    fn interceptor() -> AuthInterceptor {
        AuthInterceptor::new(AccessTokens::new(b"secret", Arc::new(SystemClock)))
    }

    fn metadata(pairs: &[(&'static str, &str)]) -> MetadataMap {
        let mut m = MetadataMap::new();
        for (k, v) in pairs {
            m.insert(*k, v.parse().unwrap());
        }
        m
    }

    #[test]
    fn a_valid_token_names_the_caller_with_or_without_a_version() {
        let i = interceptor();
        let token = i.tokens.issue(5);
        assert_eq!(i.check(&metadata(&[("token", &token)])).unwrap(), Caller(5));
        assert_eq!(i.check(&metadata(&[("token", &token), ("proto-version", "16")])).unwrap(), Caller(5));
    }

    #[test]
    fn refusals_carry_the_codes_agents_expect() {
        let i = interceptor();
        let token = i.tokens.issue(5);
        let code = |pairs: &[(&'static str, &str)]| i.check(&metadata(pairs)).unwrap_err().code();
        assert_eq!(code(&[]), Code::Unauthenticated);
        assert_eq!(code(&[("token", "forged")]), Code::Unauthenticated);
        assert_eq!(code(&[("token", &token), ("proto-version", "15")]), Code::FailedPrecondition);
        assert_eq!(code(&[("token", &token), ("proto-version", "x")]), Code::InvalidArgument);
    }
}
