//! Gives back the pages of the program's code and constants that the process has touched so far.
//!
//! One binary holds the server and the agent, and starting an agent (settings, logging, TLS,
//! the first connection) runs code that an idle agent never runs again. The kernel maps that
//! code in 64 KiB runs around every page executed, so a freshly started agent keeps megabytes
//! of it mapped. The segments the program never writes (code, constants) are clean copies of
//! the executable file: dropping them from this process's mapping loses nothing, and what runs
//! again is mapped back from the page cache on its next use. Segments the loader writes
//! (relocated data) are left alone.

use std::io;

/// Page size assumed when rounding segments outward; a larger real page only makes the kernel
/// round the same way.
const PAGE: usize = 4096;

/// One program header of a loaded object, as far as releasing needs it.
#[derive(Debug, Clone, Copy)]
struct Segment {
    loadable: bool,
    writable: bool,
    vaddr: usize,
    memsz: usize,
}

/// Unmaps this process's pages of its executable's never-written segments; returns how many
/// bytes of address space were released (resident or not). Linux only; elsewhere it does
/// nothing.
///
/// # Errors
/// When the kernel refuses the advice.
pub fn release() -> io::Result<usize> {
    #[cfg(target_os = "linux")]
    {
        let (base, segments) = main_program();
        let mut released = 0;
        for (start, end) in never_written(base, &segments) {
            // SAFETY: the range covers whole pages of a segment mapped without write permission
            // from the executable file, so no page of it differs from the file; after
            // MADV_DONTNEED each page reads back unchanged on its next access.
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

/// The load address and program headers of the main program (the first object the dynamic
/// loader lists).
#[cfg(target_os = "linux")]
fn main_program() -> (usize, Vec<Segment>) {
    unsafe extern "C" fn first(
        info: *mut libc::dl_phdr_info,
        _: libc::size_t,
        data: *mut libc::c_void,
    ) -> libc::c_int {
        // SAFETY: the loader passes a valid `info` for the duration of the call, and `data` is
        // the `found` below.
        let (info, found) = unsafe { (&*info, &mut *data.cast::<(usize, Vec<Segment>)>()) };
        // SAFETY: `dlpi_phdr` points at `dlpi_phnum` headers.
        let headers = unsafe { std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum)) };
        found.0 = info.dlpi_addr as usize;
        found.1 = headers
            .iter()
            .map(|h| Segment {
                loadable: h.p_type == libc::PT_LOAD,
                writable: h.p_flags & libc::PF_W != 0,
                vaddr: h.p_vaddr as usize,
                memsz: h.p_memsz as usize,
            })
            .collect();
        1
    }
    let mut found = (0, Vec::new());
    // SAFETY: the callback only reads what the loader hands it and writes into `found`.
    unsafe { libc::dl_iterate_phdr(Some(first), (&raw mut found).cast()) };
    found
}

/// The page ranges of the loadable segments that are never writable, at load address `base`.
fn never_written(base: usize, segments: &[Segment]) -> Vec<(usize, usize)> {
    segments
        .iter()
        .filter(|s| s.loadable && !s.writable && s.memsz > 0)
        .map(|s| {
            let start = (base + s.vaddr) / PAGE * PAGE;
            let end = (base + s.vaddr + s.memsz).div_ceil(PAGE) * PAGE;
            (start, end)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(loadable: bool, writable: bool, vaddr: usize, memsz: usize) -> Segment {
        Segment { loadable, writable, vaddr, memsz }
    }

    #[test]
    fn only_loadable_segments_never_written_are_chosen_in_whole_pages() {
        let segments = [
            segment(false, false, 0x40, 0x2d8),          // program headers
            segment(true, false, 0, 0x6e_9a10),          // constants
            segment(true, false, 0x6e_aa10, 0x16f_2000), // code
            segment(true, true, 0x01dd_d000, 0x1c_3000), // relocated data, then the rest
        ];
        let base = 0x5565_ab00_4000;
        assert_eq!(
            never_written(base, &segments),
            [(base, base + 0x6e_a000), (base + 0x6e_a000, base + 0x01dd_d000)]
        );
    }

    #[test]
    fn code_runs_again_after_its_pages_are_released() {
        let released = release().expect("advice taken");
        if cfg!(target_os = "linux") {
            assert!(released > 0, "the test binary has code pages");
        }
        // This code was among the released pages: it is mapped back from the file and runs.
        assert_eq!(never_written(0, &[segment(true, false, 0, 1)]), [(0, PAGE)]);
    }
}
