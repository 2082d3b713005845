// SPDX-License-Identifier: GPL-2.0

//! Where things live: the repository and the cache outside it.
//!
//! The cache (`$RSTKEY_CACHE`, default `/var/cache/rstkey`) holds:
//!
//! ```text
//! dl/          the downloaded linux-source-7.3 package
//! apt/         the private apt configuration used to fetch it
//! tools/       bindgen-cli, installed with `cargo install --root`
//! src/pristine the extracted kernel tree, never modified
//! tree/        a copy of the pristine tree with the overlay applied
//! build/       the kernel build output (`make O=`)
//! staging/     `make modules_install` output for the guest
//! logs/        full logs of every long step
//! run/         one directory per VM boot (control share, console log)
//! ```

use std::path::PathBuf;

/// Which x86 kernel a build, its modules and a boot are of.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Kernel {
    /// The test kernel, from `configs/*.config`.
    #[default]
    Test,
    /// The debug kernel: the test kernel plus `configs/debug/debug.config`
    /// (KASAN, lockdep, DMA and scatterlist debugging...), for the
    /// reliability lane of `test`.
    Debug,
}

/// All paths the host tool uses.
pub struct Paths {
    /// The repository root.
    pub repo: PathBuf,
    /// The cache root.
    pub cache: PathBuf,
    /// The kernel that `build()`, `staging()` and `bzimage()` are of.
    pub kernel: Kernel,
}

impl Paths {
    /// Finds the repository (the parent of the xtask crate) and the cache.
    pub fn get() -> Self {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        let cache = std::env::var_os("RSTKEY_CACHE")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/var/cache/rstkey"));
        Paths {
            repo,
            cache,
            kernel: Kernel::Test,
        }
    }

    /// The same paths, for the build, modules and image of `kernel`.
    pub fn for_kernel(self, kernel: Kernel) -> Self {
        Paths { kernel, ..self }
    }

    /// Downloaded packages.
    pub fn dl(&self) -> PathBuf {
        self.cache.join("dl")
    }

    /// Private apt configuration and state.
    pub fn apt(&self) -> PathBuf {
        self.cache.join("apt")
    }

    /// Host tools installed by `setup` (bindgen).
    pub fn tools(&self) -> PathBuf {
        self.cache.join("tools")
    }

    /// The pristine kernel tree.
    pub fn pristine(&self) -> PathBuf {
        self.cache.join("src/pristine")
    }

    /// Stamp naming the package the pristine tree was extracted from.
    pub fn pristine_stamp(&self) -> PathBuf {
        self.cache.join("src/pristine.stamp")
    }

    /// The overlaid kernel tree.
    pub fn tree(&self) -> PathBuf {
        self.cache.join("tree")
    }

    /// Stamp naming the pristine tree the overlaid tree was copied from.
    pub fn tree_stamp(&self) -> PathBuf {
        self.cache.join("tree.stamp")
    }

    /// The list of files the overlay last wrote into the tree.
    pub fn tree_manifest(&self) -> PathBuf {
        self.cache.join("tree.manifest")
    }

    /// The kernel build output directory.
    pub fn build(&self) -> PathBuf {
        match self.kernel {
            Kernel::Test => self.cache.join("build"),
            Kernel::Debug => self.cache.join("build-debug"),
        }
    }

    /// The output of the minimal configuration's build (see `build::minimal`).
    pub fn build_minimal(&self) -> PathBuf {
        self.cache.join("build-minimal")
    }

    /// The modules installed for the guest.
    pub fn staging(&self) -> PathBuf {
        match self.kernel {
            Kernel::Test => self.cache.join("staging"),
            Kernel::Debug => self.cache.join("staging-debug"),
        }
    }

    /// Logs of long steps.
    pub fn logs(&self) -> PathBuf {
        self.cache.join("logs")
    }

    /// Per-boot directories.
    pub fn runs(&self) -> PathBuf {
        self.cache.join("run")
    }

    /// The bzImage of the current build.
    pub fn bzimage(&self) -> PathBuf {
        self.build().join("arch/x86/boot/bzImage")
    }
}
