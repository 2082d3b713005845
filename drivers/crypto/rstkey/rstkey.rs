// SPDX-License-Identifier: GPL-2.0

//! rstkey: restricted-key crypto offload for the virtio-crypto device.
//!
//! The driver binds to virtio-crypto devices (VIRTIO 1.2, section 5.9), sets up their data and
//! control queues, registers the crypto API algorithms they serve ([`algs`]), which reach the
//! device only through the [`engine::Engine`] trait, and exposes the capabilities each device
//! advertises in `/sys/kernel/debug/rstkey/<device>/capabilities` and its counters in `stats`;
//! see `Documentation/crypto/device_drivers/rstkey.rst`. The test interfaces are in [`test`],
//! built only with `CONFIG_CRYPTO_DEV_RSTKEY_TEST`.

use kernel::{
    debugfs,
    driver,
    key,
    prelude::*,
    virtio,
    InPlaceModule, //
};

mod algs;
#[cfg(CONFIG_ASYMMETRIC_KEY_TYPE = "y")]
mod asym;
mod caps;
mod engine;
mod keystore;
mod keytype;
mod rsassa;
#[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
mod test;
mod vcrypto;
mod virtio_engine;

/// The module's name, `rstkey`.
const MODULE_NAME: &CStr = <LocalModule as kernel::ModuleMetadata>::NAME;

/// The type of the debugfs root directory: set while the module is loaded.
type DebugfsRootDir = Option<debugfs::Dir>;

kernel::sync::global_lock! {
    // SAFETY: Initialized in `RstkeyModule::init()` before the driver is registered, which is
    // before any other use of the lock.
    unsafe(uninit) static DEBUGFS_ROOT: Mutex<DebugfsRootDir> = None;
}

/// Owner of the debugfs root directory `rstkey/` in [`DEBUGFS_ROOT`].
///
/// Devices hold their own references to the directory, so it is removed only when the last
/// device is unbound and this guard has been dropped.
struct DebugfsRoot;

impl DebugfsRoot {
    /// Creates the root directory in [`DEBUGFS_ROOT`].
    fn new() -> Self {
        *DEBUGFS_ROOT.lock() = Some(debugfs::Dir::new(MODULE_NAME));
        Self
    }
}

impl Drop for DebugfsRoot {
    fn drop(&mut self) {
        *DEBUGFS_ROOT.lock() = None;
    }
}

/// The rstkey module.
#[pin_data]
struct RstkeyModule {
    /// The key type `rstkey`, unregistered first: its keys need an engine when they are made.
    #[pin]
    _keys: key::Registration<keytype::ProtectedKey>,
    /// The parser of RSA key blobs for asymmetric keys of the subtype `rstkey`, whose keys hold
    /// the module while they exist.
    #[cfg(CONFIG_ASYMMETRIC_KEY_TYPE = "y")]
    #[pin]
    _rsa_keys: key::asymmetric::Registration<asym::RsaBlobParser>,
    /// The virtio driver registration.
    ///
    /// Fields are dropped in declaration order: the driver is unregistered before
    /// `_debugfs_root` drops its reference to the debugfs root directory.
    #[pin]
    _driver: driver::Registration<virtio::Adapter<vcrypto::RstkeyDriver>>,
    /// The crypto API algorithms, unregistered after the driver.
    _algs: AlgsGuard,
    /// The test-only files in the debugfs root directory.
    #[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
    _test: test::ModuleFiles,
    /// The debugfs root directory.
    _debugfs_root: DebugfsRoot,
}

/// Unregisters the algorithms when dropped.
struct AlgsGuard;

impl Drop for AlgsGuard {
    fn drop(&mut self) {
        algs::unregister_all();
    }
}

impl InPlaceModule for RstkeyModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        // SAFETY: Module initialization runs only once, and the driver is not registered yet, so
        // this is the only call to `init()` and it comes before any other use of the lock.
        unsafe { DEBUGFS_ROOT.init() };
        // SAFETY: As above, for the algorithms' lock.
        unsafe { algs::ALGS.init() };

        // If the registration fails, the initializer drops `debugfs_root`, which removes the
        // directory again.
        let debugfs_root = DebugfsRoot::new();
        #[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
        let test = match DEBUGFS_ROOT.lock().as_ref() {
            Some(root) => test::ModuleFiles::new(root),
            None => Err(ENOENT),
        };

        pin_init::pin_init_scope(move || {
            #[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
            let test = test?;
            Ok(try_pin_init!(Self {
                _keys <- key::Registration::new(),
                #[cfg(CONFIG_ASYMMETRIC_KEY_TYPE = "y")]
                _rsa_keys <- key::asymmetric::Registration::new(module),
                _driver <- driver::Registration::new(MODULE_NAME, module),
                _algs: AlgsGuard,
                #[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
                _test: test,
                _debugfs_root: debugfs_root,
            }))
        })
    }
}

module! {
    type: RstkeyModule,
    name: "rstkey",
    authors: ["rstkey developers"],
    description: "Restricted-key crypto offload for virtio-crypto devices",
    license: "GPL",
    params: {
        clear_keys: bool {
            default: false,
            description: "Let cbc(paes) take clear keys outside its self-test (default N)",
        },
    },
}
