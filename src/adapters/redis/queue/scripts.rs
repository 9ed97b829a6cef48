//! The Lua scripts that make each queue operation atomic across servers. Every script is
//! `lua/common.lua` (key layout and shared helpers) followed by its own body, and takes the key
//! prefix as `ARGV[1]`.

use std::sync::LazyLock;

use redis::Script;

const COMMON: &str = include_str!("lua/common.lua");

/// Every queue script, hashed once per process.
pub(super) struct Scripts {
    pub push: Script,
    pub look: Script,
    pub claim: Script,
    pub unclaim: Script,
    pub extend: Script,
    pub done: Script,
    pub cancel: Script,
    pub expire: Script,
    pub info: Script,
    pub kick: Script,
    pub pause: Script,
    pub wait: Script,
}

fn script(body: &str) -> Script {
    Script::new(&format!("{COMMON}\n{body}"))
}

/// The scripts.
pub(super) static SCRIPTS: LazyLock<Scripts> = LazyLock::new(|| Scripts {
    push: script(include_str!("lua/push.lua")),
    look: script(include_str!("lua/look.lua")),
    claim: script(include_str!("lua/claim.lua")),
    unclaim: script(include_str!("lua/unclaim.lua")),
    extend: script(include_str!("lua/extend.lua")),
    done: script(include_str!("lua/done.lua")),
    cancel: script(include_str!("lua/cancel.lua")),
    expire: script(include_str!("lua/expire.lua")),
    info: script(include_str!("lua/info.lua")),
    kick: script(include_str!("lua/kick.lua")),
    pause: script(include_str!("lua/pause.lua")),
    wait: script(include_str!("lua/wait.lua")),
});
