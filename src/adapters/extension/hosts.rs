//! Which hosts extension requests may go to (`WOODPECKER_EXTENSIONS_ALLOWED_HOSTS`, engine.md
//! §7.4), checked on the address a name resolves to when connecting, so a name that resolves to
//! a private address cannot smuggle a request into the server's own network.
//!
//! Items, comma-separated: `external` (global unicast, not private), `private` (RFC 1918 and
//! fc00::/7), `loopback`, `*` (everything), CIDRs (`10.1.0.0/16`) and host name globs
//! (`*.example.com`, matched on the name whatever it resolves to). The default is `external`.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper_util::client::legacy::connect::dns::Name;
use tower_service::Service;

/// The built-in address classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Builtin {
    External,
    Private,
    Loopback,
}

/// A network in CIDR notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    fn parse(text: &str) -> Option<Self> {
        let (addr, prefix) = text.split_once('/')?;
        let network: IpAddr = addr.parse().ok()?;
        let prefix: u8 = prefix.parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then_some(Self { network, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_matches(u128::from(u32::from(net)) << 96, u128::from(u32::from(ip)) << 96, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => prefix_matches(u128::from(net), u128::from(ip), self.prefix),
            _ => false,
        }
    }
}

/// Whether the first `prefix` bits of two left-aligned addresses agree.
fn prefix_matches(net: u128, ip: u128, prefix: u8) -> bool {
    let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(prefix)) };
    net & mask == ip & mask
}

/// The parsed allow-list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostRules {
    builtins: Vec<Builtin>,
    networks: Vec<Cidr>,
    /// Lower-case host name globs; `*` alone allows every address too.
    patterns: Vec<String>,
}

impl HostRules {
    /// Parses the setting; an empty one means upstream's default, `external`.
    pub fn parse(setting: &str) -> Self {
        let mut rules = Self::default();
        for item in setting.split(',').map(|i| i.trim().to_ascii_lowercase()).filter(|i| !i.is_empty()) {
            match item.as_str() {
                "external" => rules.builtins.push(Builtin::External),
                "private" => rules.builtins.push(Builtin::Private),
                "loopback" => rules.builtins.push(Builtin::Loopback),
                _ => match Cidr::parse(&item) {
                    Some(cidr) => rules.networks.push(cidr),
                    None => rules.patterns.push(item),
                },
            }
        }
        if rules == Self::default() {
            rules.builtins.push(Builtin::External);
        }
        rules
    }

    /// Whether the host name (or IP literal) is allowed by a glob, or, for a literal, by the
    /// address rules.
    pub fn allows_host(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        if self.patterns.iter().any(|p| glob_matches(p, &host)) {
            return true;
        }
        host.parse().is_ok_and(|ip| self.allows_ip(ip))
    }

    /// Whether a connection to `ip` is allowed.
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.patterns.iter().any(|p| p == "*" || glob_matches(p, &ip.to_string()))
            || self.builtins.iter().any(|b| match b {
                Builtin::External => is_global_unicast(ip) && !is_private(ip),
                Builtin::Private => is_private(ip),
                Builtin::Loopback => ip.is_loopback(),
            })
            || self.networks.iter().any(|n| n.contains(ip))
    }
}

/// Go's `IP.IsGlobalUnicast`: not unspecified, loopback, multicast, link-local or broadcast.
fn is_global_unicast(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_unspecified()
                || v4.is_loopback()
                || v4.is_multicast()
                || v4.is_link_local()
                || v4.is_broadcast())
        }
        IpAddr::V6(v6) => {
            !(v6.is_unspecified() || v6.is_loopback() || v6.is_multicast() || v6.is_unicast_link_local())
        }
    }
}

/// Go's `IP.IsPrivate`: RFC 1918 and RFC 4193 (fc00::/7).
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private(),
        IpAddr::V6(v6) => v6.segments()[0] & 0xfe00 == 0xfc00,
    }
}

/// Shell-style glob as Go's `filepath.Match` on host names: `*` is any run of characters, `?`
/// one character; everything else literal.
fn glob_matches(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                backtrack = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match backtrack {
                Some((star, matched)) => {
                    pi = star + 1;
                    ti = matched + 1;
                    backtrack = Some((star, matched + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Why a name resolved to nothing the rules allow.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BlockedHost(pub String);

/// The system resolver, keeping only the addresses the rules allow; a name allowed by a glob
/// keeps all of them.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    rules: Arc<HostRules>,
}

impl GuardedResolver {
    /// A resolver applying `rules`.
    pub fn new(rules: Arc<HostRules>) -> Self {
        Self { rules }
    }
}

/// A failed lookup or a [`BlockedHost`].
pub type ResolveError = Box<dyn std::error::Error + Send + Sync>;

impl Service<Name> for GuardedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = ResolveError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, ResolveError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ResolveError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let rules = self.rules.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let by_name = rules.allows_host(&host);
            let allowed: Vec<SocketAddr> =
                resolved.iter().copied().filter(|a| by_name || rules.allows_ip(a.ip())).collect();
            if allowed.is_empty() {
                let addrs: Vec<String> = resolved.iter().map(|a| a.ip().to_string()).collect();
                return Err(Box::new(BlockedHost(format!("{host} ({})", addrs.join(", ")))) as ResolveError);
            }
            Ok(allowed.into_iter())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_default_allows_only_external_addresses() {
        let rules = HostRules::parse("");
        assert!(rules.allows_ip(ip("93.184.216.34")));
        assert!(rules.allows_ip(ip("2606:4700::1111")));
        for blocked in
            ["127.0.0.1", "::1", "10.0.0.1", "192.168.1.1", "172.16.0.1", "169.254.1.1", "fd00::1", "0.0.0.0"]
        {
            assert!(!rules.allows_ip(ip(blocked)), "{blocked}");
        }
        assert!(!rules.allows_ip(ip("::ffff:127.0.0.1")), "v4-mapped loopback");
    }

    #[test]
    fn builtins_cidrs_and_star_widen_the_list() {
        assert!(HostRules::parse("loopback").allows_ip(ip("127.0.0.1")));
        assert!(!HostRules::parse("loopback").allows_ip(ip("8.8.8.8")));
        assert!(HostRules::parse("private").allows_ip(ip("10.2.3.4")));
        let cidr = HostRules::parse("external, 10.1.0.0/16");
        assert!(cidr.allows_ip(ip("10.1.200.3")));
        assert!(!cidr.allows_ip(ip("10.2.0.1")));
        assert!(HostRules::parse("*").allows_ip(ip("127.0.0.1")));
        assert!(HostRules::parse("fd00::/8").allows_ip(ip("fd12::1")));
    }

    #[test]
    fn host_globs_match_names_and_literals_fall_back_to_address_rules() {
        let rules = HostRules::parse("*.example.com,ci-config");
        assert!(rules.allows_host("cfg.example.com"));
        assert!(rules.allows_host("CI-CONFIG"));
        assert!(!rules.allows_host("example.com"));
        assert!(!rules.allows_host("127.0.0.1"));
        assert!(HostRules::parse("loopback").allows_host("[::1]"));
    }

    #[test]
    fn globs_follow_shell_rules() {
        assert!(glob_matches("a*c", "abbbc"));
        assert!(glob_matches("a?c", "abc"));
        assert!(glob_matches("*", ""));
        assert!(!glob_matches("a*d", "abc"));
    }
}
