//! Shell scripts of `commands` steps, shared by the backends: each command echoed as
//! `+ command` before it runs, as upstream's generated scripts do.

/// The commands, each echoed before it runs.
pub fn script(commands: &[String]) -> String {
    let mut out = String::new();
    for command in commands {
        out.push_str(&format!("echo {}\n{command}\n", quote(&format!("+ {command}"))));
    }
    out
}

/// Single-quotes a string for `sh`.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_echo_each_command_quoted() {
        assert_eq!(script(&["echo 'hi'".into()]), "echo '+ echo '\\''hi'\\'''\necho 'hi'\n");
    }
}
