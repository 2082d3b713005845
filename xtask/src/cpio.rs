// SPDX-License-Identifier: GPL-2.0

//! A writer for the `newc` cpio format the kernel unpacks as an initramfs
//! (Documentation/driver-api/early-userspace/buffer-format.rst).

use std::collections::BTreeSet;

/// An initramfs image being assembled in memory.
#[derive(Default)]
pub struct Archive {
    buf: Vec<u8>,
    ino: u32,
    dirs: BTreeSet<String>,
}

const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFLNK: u32 = 0o120000;

impl Archive {
    fn entry(&mut self, name: &str, mode: u32, data: &[u8]) {
        self.ino += 1;
        let name = name.trim_start_matches('/');
        let namesize = name.len() + 1;
        let header = format!(
            "070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
            self.ino,
            mode,
            0,
            0,
            1,
            0,
            data.len(),
            0,
            0,
            0,
            0,
            namesize,
            0
        );
        self.buf.extend_from_slice(header.as_bytes());
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.push(0);
        self.pad();
        self.buf.extend_from_slice(data);
        self.pad();
    }

    fn pad(&mut self) {
        while self.buf.len() % 4 != 0 {
            self.buf.push(0);
        }
    }

    /// Adds a directory and its missing parents.
    pub fn dir(&mut self, path: &str) {
        let path = path.trim_matches('/');
        let mut cur = String::new();
        for part in path.split('/').filter(|s| !s.is_empty()) {
            if !cur.is_empty() {
                cur.push('/');
            }
            cur.push_str(part);
            if self.dirs.insert(cur.clone()) {
                let c = cur.clone();
                self.entry(&c, S_IFDIR | 0o755, &[]);
            }
        }
    }

    fn parent(&mut self, path: &str) {
        if let Some((dir, _)) = path.trim_start_matches('/').rsplit_once('/') {
            self.dir(dir);
        }
    }

    /// Adds a regular file with the given permission bits.
    pub fn file(&mut self, path: &str, perm: u32, data: &[u8]) {
        self.parent(path);
        self.entry(path, S_IFREG | (perm & 0o7777), data);
    }

    /// Adds a symbolic link.
    pub fn symlink(&mut self, path: &str, target: &str) {
        self.parent(path);
        self.entry(path, S_IFLNK | 0o777, target.as_bytes());
    }

    /// Terminates the archive and returns its bytes.
    pub fn finish(mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", 0, &[]);
        while self.buf.len() % 512 != 0 {
            self.buf.push(0);
        }
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newc_layout() {
        let mut a = Archive::default();
        a.file("/bin/x", 0o755, b"abc");
        let out = a.finish();
        // "bin" directory first, then the file, then the trailer.
        assert!(out.starts_with(b"070701"));
        let s = String::from_utf8_lossy(&out);
        let bin = s.find("bin\0").unwrap();
        let file = s.find("bin/x\0").unwrap();
        let trailer = s.find("TRAILER!!!\0").unwrap();
        assert!(bin < file && file < trailer);
        assert_eq!(out.len() % 512, 0);
        // The file's header says mode 0100755 and size 3.
        let hdr = &s[file - 110..file];
        assert_eq!(&hdr[14..22], "000081ed");
        assert_eq!(&hdr[54..62], "00000003");
    }
}
