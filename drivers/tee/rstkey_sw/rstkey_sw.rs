// SPDX-License-Identifier: GPL-2.0

//! rstkey emulated secure world: a TEE backend for platforms without one, such as x86 QEMU.
//!
//! It protects a carveout of RAM reserved at boot, registers it as the protected memory pool of
//! the `protected,crypto-key` heap, lets only the PCI device it was told to trust attach to those
//! buffers, and serves the key manager (`include/uapi/linux/rstkey_km.h`) through the standard
//! TEE client interface. See `Documentation/tee/rstkey-sw.rst`.
//!
//! Configuration, on the kernel command line:
//! - `memmap=<size>$<base>` reserves the carveout (it must not be System RAM);
//! - `rstkey_sw.carveout_base=<base> rstkey_sw.carveout_size=<size>` hands it to this driver;
//! - `rstkey_sw.grant_pci=<PCI_DEVID(bus, devfn)>` names the device allowed to attach;
//! - `rstkey_sw.allow_import=0` forbids importing clear keys.
//!
//! The device key that unwraps key blobs is provisioned as the firmware file
//! `rstkey/sw-device-key.bin` (64 bytes); without it unwrapping fails.

use kernel::{
    debugfs,
    faux,
    firmware::Firmware,
    fmt,
    prelude::*,
    sync::Arc,
    tee::{
        backend::Registration,
        HeapId, //
    }, //
};

mod blob;
mod carveout;
mod keymgr;

use carveout::Carveout;
use keymgr::SecureWorld;

/// The firmware file holding the device key.
const DEVICE_KEY_FILE: &CStr = c"rstkey/sw-device-key.bin";

/// `grant_pci` value for "no device".
const NO_GRANT: u32 = u32::MAX;

/// The debugfs file `rstkey_sw/pool`: usage of the carveout.
#[pin_data]
struct PoolInfo {
    carveout: Arc<Carveout>,
}

impl debugfs::Writer for PoolInfo {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (base, size) = self.carveout.range();
        let u = self.carveout.usage();
        f.write_fmt(fmt!(
            "base {:#x}\nsize {:#x}\npages {}\nfree_pages {}\nbuffers {}\n",
            base,
            size,
            u.pages,
            u.free_pages,
            u.buffers
        ))
    }
}

/// The running secure world.
///
/// Fields are dropped in declaration order: the debugfs file goes first, then the TEE device,
/// which waits for its clients, then its parent device and the debugfs directory.
struct Running {
    _pool_file: Pin<KBox<debugfs::File<PoolInfo>>>,
    _tee: Registration<SecureWorld>,
    _faux: faux::Registration,
    _dir: debugfs::Dir,
}

/// The module: idle if no carveout is configured.
struct SecureWorldModule {
    _running: Option<Running>,
}

/// Reads the device key from its firmware file.
fn load_device_key(dev: &kernel::device::Device) -> Option<blob::DeviceKey> {
    let Ok(fw) = Firmware::request_nowarn(DEVICE_KEY_FILE, dev) else {
        dev_warn!(
            dev,
            "no device key {}, unwrap is unavailable\n",
            DEVICE_KEY_FILE
        );
        return None;
    };
    if fw.data().len() != blob::DEVICE_KEY_SIZE {
        dev_err!(
            dev,
            "device key must be {} bytes, not {}\n",
            blob::DEVICE_KEY_SIZE,
            fw.data().len()
        );
        return None;
    }
    blob::DeviceKey::new(fw.data()).ok()
}

impl kernel::Module for SecureWorldModule {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let base = module_parameters::carveout_base.value();
        let size = module_parameters::carveout_size.value();
        let allow_import = module_parameters::allow_import.value();
        if size == 0 {
            pr_info!("no carveout configured, not started\n");
            return Ok(Self { _running: None });
        }
        let grant = match module_parameters::grant_pci.value() {
            NO_GRANT => None,
            g => Some(u16::try_from(g).map_err(|_| EINVAL)?),
        };

        let carveout = Arc::pin_init(Carveout::new(base, size, grant)?, GFP_KERNEL)?;
        let faux = faux::Registration::new(c"rstkey-sw", None)?;
        let dev: &kernel::device::Device = faux.as_ref().as_ref();
        let device_key = load_device_key(dev);
        let tee = Registration::new(
            c"rstkey-sw",
            dev,
            SecureWorld::new(carveout.clone(), device_key, allow_import),
            module,
        )?;
        tee.register_protmem_heap(HeapId::CryptoKey, carveout.clone())?;

        let dir = debugfs::Dir::new(c"rstkey_sw");
        let pool_file = KBox::pin_init(
            dir.read_only_file(c"pool", try_pin_init!(PoolInfo { carveout } ? Error)),
            GFP_KERNEL,
        )?;

        pr_info!(
            "carveout {:#x}+{:#x}, grant {:#x}, clear key import {}\n",
            base,
            size,
            module_parameters::grant_pci.value(),
            if allow_import { "allowed" } else { "denied" }
        );
        Ok(Self {
            _running: Some(Running {
                _pool_file: pool_file,
                _tee: tee,
                _faux: faux,
                _dir: dir,
            }),
        })
    }
}

module! {
    type: SecureWorldModule,
    name: "rstkey_sw",
    authors: ["rstkey developers"],
    description: "rstkey emulated secure world: protected memory and key manager",
    license: "GPL",
    params: {
        carveout_base: u64 {
            default: 0,
            description: "Physical base of the carveout, reserved with memmap=",
        },
        carveout_size: u64 {
            default: 0,
            description: "Size of the carveout in bytes, 0 to stay idle",
        },
        grant_pci: u32 {
            default: 0xffff_ffff,
            description: "PCI_DEVID(bus, devfn) of the device allowed to attach, on segment 0",
        },
        allow_import: bool {
            default: true,
            description: "Whether the key manager imports clear keys",
        },
    },
}
