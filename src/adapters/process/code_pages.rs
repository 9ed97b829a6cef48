//! Gives back the pages of code and constants that the process has touched so far.
//!
//! One binary holds the server and the agent, and starting an agent (settings, logging, TLS,
//! the first connection) or running a workflow runs code that an idle agent does not run. The
//! kernel maps code in 64 KiB runs around every page executed, so an agent that has just
//! started or worked keeps megabytes of it mapped, of the executable and of the C libraries
//! alike. The segments no one writes (code, constants) are clean copies of their files: dropping
//! them from this process's mapping loses nothing, and what runs again is mapped back from the
//! page cache on its next use. Segments the loader writes (relocated data) are left alone, and so
//! is every segment of an object whose code the loader patched (text relocations).
//!
//! What the idle agent does run, release builds keep side by side (`agent_idle_code.ld`), so it
//! maps back in a few runs rather than dozens.

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

/// A loaded object (the executable or a shared library) with its load address.
#[derive(Debug, Default)]
struct Object {
    base: usize,
    segments: Vec<Segment>,
}

/// Unmaps this process's pages of the never-written segments of its executable and libraries;
/// returns how many bytes of address space were released (resident or not). Linux only;
/// elsewhere it does nothing.
///
/// # Errors
/// When the kernel refuses the advice.
pub fn release() -> io::Result<usize> {
    #[cfg(target_os = "linux")]
    {
        let mut released = 0;
        for object in loaded_objects() {
            for (start, end) in never_written(object.base, &object.segments) {
                // SAFETY: the range covers whole pages of a segment mapped without write
                // permission from a file the loader did not patch, so no page of it differs
                // from the file; after MADV_DONTNEED each page reads back unchanged on its
                // next access.
                let status =
                    unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
                if status != 0 {
                    return Err(io::Error::last_os_error());
                }
                released += end - start;
            }
        }
        Ok(released)
    }
    #[cfg(not(target_os = "linux"))]
    Ok(0)
}

/// The objects the dynamic loader has mapped from files: all but the kernel's vDSO, whose pages
/// are not a file's, and those with text relocations, whose code pages are the loader's copies.
#[cfg(target_os = "linux")]
fn loaded_objects() -> Vec<Object> {
    unsafe extern "C" fn collect(
        info: *mut libc::dl_phdr_info,
        _: libc::size_t,
        data: *mut libc::c_void,
    ) -> libc::c_int {
        // SAFETY: the loader passes a valid `info` for the duration of the call, and `data` is
        // the `objects` below.
        let (info, objects) = unsafe { (&*info, &mut *data.cast::<Vec<Object>>()) };
        // SAFETY: `dlpi_phdr` points at `dlpi_phnum` headers.
        let headers = unsafe { std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum)) };
        let base = info.dlpi_addr as usize;
        // SAFETY: AT_SYSINFO_EHDR is always a valid getauxval key.
        let vdso = unsafe { libc::getauxval(libc::AT_SYSINFO_EHDR) } as usize;
        // SAFETY: a PT_DYNAMIC header locates the object's mapped dynamic section.
        let patched = headers.iter().any(|h| {
            h.p_type == libc::PT_DYNAMIC && unsafe { has_text_relocations(base + h.p_vaddr as usize) }
        });
        if base != vdso && !patched {
            objects.push(Object {
                base,
                segments: headers
                    .iter()
                    .map(|h| Segment {
                        loadable: h.p_type == libc::PT_LOAD,
                        writable: h.p_flags & libc::PF_W != 0,
                        vaddr: h.p_vaddr as usize,
                        memsz: h.p_memsz as usize,
                    })
                    .collect(),
            });
        }
        0
    }
    let mut objects = Vec::new();
    // SAFETY: the callback only reads what the loader hands it and writes into `objects`.
    unsafe { libc::dl_iterate_phdr(Some(collect), (&raw mut objects).cast()) };
    objects
}

/// Whether the dynamic section at `dynamic` asks the loader to patch code (DT_TEXTREL, or
/// DF_TEXTREL in DT_FLAGS).
///
/// # Safety
/// `dynamic` must point at a mapped dynamic section, which ends with DT_NULL.
#[cfg(target_os = "linux")]
unsafe fn has_text_relocations(dynamic: usize) -> bool {
    const DT_NULL: i64 = 0;
    const DT_TEXTREL: i64 = 22;
    const DT_FLAGS: i64 = 30;
    const DF_TEXTREL: u64 = 0x4;
    /// An entry of the dynamic section (ELF64 `Elf64_Dyn`): a tag and its value.
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Entry {
        tag: i64,
        value: u64,
    }
    let mut entry = dynamic as *const Entry;
    loop {
        // SAFETY: the caller guarantees the entries up to DT_NULL are mapped.
        let Entry { tag, value } = unsafe { *entry };
        match tag {
            DT_NULL => return false,
            DT_TEXTREL => return true,
            DT_FLAGS if value & DF_TEXTREL != 0 => return true,
            _ => {}
        }
        // SAFETY: the current entry was not DT_NULL, so another follows.
        entry = unsafe { entry.add(1) };
    }
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
