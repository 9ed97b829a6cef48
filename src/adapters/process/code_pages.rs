//! Gives back the pages of the program's machine code that the process has touched so far.
//!
//! One binary holds the server and the agent, and starting an agent (settings, logging, TLS,
//! the first connection) runs code that an idle agent never runs again. The kernel maps that
//! code in 64 KiB runs around every page executed, so a freshly started agent keeps around
//! 9 MiB of code mapped. Those pages are clean copies of the executable file: dropping them
//! from this process's mapping loses nothing, and code that runs again is mapped back from the
//! page cache on its next use.

use std::io;

/// Unmaps this process's pages of its executable's code; returns how many bytes of address
/// space were released (resident or not). Linux only; elsewhere it does nothing.
///
/// # Errors
/// When `/proc/self` cannot be read or the kernel refuses the advice.
pub fn release() -> io::Result<usize> {
    #[cfg(target_os = "linux")]
    {
        let exe = std::fs::read_link("/proc/self/exe")?;
        let maps = std::fs::read_to_string("/proc/self/maps")?;
        let mut released = 0;
        for (start, end) in code_mappings(&maps, &exe.to_string_lossy()) {
            // SAFETY: the range is a whole read-only, executable, private mapping of the
            // executable file, never written to; after MADV_DONTNEED its pages read back
            // unchanged from the file on their next access.
            let status =
                unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
            if status != 0 {
                return Err(io::Error::last_os_error());
            }
            released += end - start;
        }
        Ok(released)
    }
    #[cfg(not(target_os = "linux"))]
    Ok(0)
}

/// The address ranges of `exe`'s code (`r-xp` mappings) in a `/proc/<pid>/maps` text.
fn code_mappings<'a>(maps: &'a str, exe: &'a str) -> impl Iterator<Item = (usize, usize)> + 'a {
    maps.lines().filter_map(move |line| {
        let mut fields = line.split_whitespace();
        let (range, perms) = (fields.next()?, fields.next()?);
        let path = fields.nth(3)?;
        if perms != "r-xp" || path != exe {
            return None;
        }
        let (start, end) = range.split_once('-')?;
        Some((usize::from_str_radix(start, 16).ok()?, usize::from_str_radix(end, 16).ok()?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAPS: &str = "\
5565ab004000-5565ab6ee000 r--p 00000000 00:2a 123 /usr/bin/nuthatch
5565ab6ee000-5565acde0000 r-xp 006ea000 00:2a 123 /usr/bin/nuthatch
5565acde0000-5565acf9e000 r--p 01ddc000 00:2a 123 /usr/bin/nuthatch
7f6f5d840000-7f6f5d996000 r-xp 00028000 00:1f 456 /usr/lib/x86_64-linux-gnu/libc.so.6
7ffd1c7e0000-7ffd1c801000 rw-p 00000000 00:00 0 [stack]
";

    #[test]
    fn only_the_executables_code_is_chosen() {
        let ranges: Vec<_> = code_mappings(MAPS, "/usr/bin/nuthatch").collect();
        assert_eq!(ranges, [(0x5565_ab6e_e000, 0x5565_acde_0000)]);
    }

    #[test]
    fn code_runs_again_after_its_pages_are_released() {
        let released = release().expect("advice taken");
        if cfg!(target_os = "linux") {
            assert!(released > 0, "the test binary has code pages");
        }
        // This code was among the released pages: it is mapped back from the file and runs.
        assert_eq!(code_mappings(MAPS, "/usr/bin/nuthatch").count(), 1);
    }
}
