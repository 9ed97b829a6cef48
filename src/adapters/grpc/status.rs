//! Use case errors as gRPC statuses. Agents retry `Unavailable` only, refresh their token on
//! `Unauthenticated` (v3.17+), and give up the call on `Unknown`, which is what the Go server
//! answers for its plain errors; `Internal` is never used (engine.md §1.7, §9.9).

use tonic::Status;

use crate::app::agent_rpc::RpcError;

/// The status an agent sees for a failed call.
pub fn to_status(error: RpcError) -> Status {
    match error {
        RpcError::Unauthenticated(text) => Status::unauthenticated(text),
        RpcError::Rejected(text) => Status::unknown(text),
        RpcError::Unavailable(text) => Status::unavailable(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;

    #[test]
    fn rejections_are_unknown_and_trouble_is_unavailable() {
        assert_eq!(to_status(RpcError::rejected("no")).code(), Code::Unknown);
        assert_eq!(to_status(RpcError::Unavailable("db down".into())).code(), Code::Unavailable);
        assert_eq!(to_status(RpcError::Unauthenticated("bad".into())).code(), Code::Unauthenticated);
        assert_eq!(to_status(RpcError::rejected("text kept")).message(), "text kept");
    }
}
