// SPDX-License-Identifier: GPL-2.0

//! The virtio driver for virtio-crypto devices.

use kernel::{
    debugfs,
    device::Core,
    prelude::*,
    sync::Arc,
    virtio::{
        self,
        DeviceType as _, //
    }, //
};

use crate::{
    caps::{
        Capabilities,
        VirtioCrypto, //
    },
    engine::Engine,
    virtio_engine::VirtioEngine, //
};

// The devices the driver binds to: virtio-crypto devices from any vendor.
kernel::virtio_device_table!(VIRTIO_TABLE, [virtio::DeviceId::new(VirtioCrypto::ID)]);

/// The rstkey virtio driver.
pub(crate) struct RstkeyDriver;

/// What the debugfs directory of a device shows: `capabilities` and `stats`.
pub(crate) struct DebugData {
    /// The capabilities read from the device at probe time (`capabilities`).
    caps: Capabilities,
    /// The engine, whose counters are in `stats`.
    pub(crate) engine: Arc<VirtioEngine>,
}

impl DebugData {
    /// Creates the files that show `self` in `dir`.
    pub(crate) fn create_files<'data>(&'data self, dir: &debugfs::ScopedDir<'data, '_>) {
        dir.read_only_file(c"capabilities", &self.caps);
        dir.read_only_file(c"stats", self.engine.stats());
    }
}

/// The data of the debugfs directory of a device.
#[cfg(not(CONFIG_CRYPTO_DEV_RSTKEY_TEST))]
type DeviceFiles = DebugData;

/// The data of the debugfs directory of a device, with the test-only files.
#[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
type DeviceFiles = crate::test::DeviceFiles;

/// Creates the debugfs directory `name` of a device in `root`, showing `data` (and, with
/// `CONFIG_CRYPTO_DEV_RSTKEY_TEST`, the test-only files).
fn device_dir(
    root: &debugfs::Dir,
    data: DebugData,
    name: &CStr,
) -> Result<Pin<KBox<debugfs::Scope<DeviceFiles>>>> {
    #[cfg(not(CONFIG_CRYPTO_DEV_RSTKEY_TEST))]
    let scope = root.scope(Ok::<_, Error>(data), name, |data: &DebugData, dir| {
        data.create_files(dir)
    });
    #[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
    let scope = root.scope(DeviceFiles::new(data), name, DeviceFiles::create_files);
    KBox::pin_init(scope, GFP_KERNEL)
}

/// The private data of a bound virtio-crypto device.
///
/// Fields are dropped in declaration order: the debugfs files go first, waiting for the file
/// operations in progress, then the engine.
pub(crate) struct RstkeyDevice {
    /// The device's debugfs directory, `rstkey/<device name>/`.
    _debugfs: Pin<KBox<debugfs::Scope<DeviceFiles>>>,
    /// The engine.
    engine: Arc<VirtioEngine>,
}

impl virtio::Driver for RstkeyDriver {
    type Data<'bound> = RstkeyDevice;

    const ID_TABLE: virtio::IdTable = &VIRTIO_TABLE;

    fn probe<'bound>(
        vdev: &'bound virtio::Device<Core<'_>>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        let caps = Capabilities::read(vdev)?;

        dev_info!(vdev, "{}\n", caps.summary());
        if !caps.hw_ready() {
            dev_warn!(vdev, "device is not ready\n");
        }

        let engine = VirtioEngine::new(vdev, &caps)?;

        let debugfs = {
            let root = crate::DEBUGFS_ROOT.lock();
            // The root directory is set before the driver is registered and cleared after it is
            // unregistered, so it is always there while a device can be probed.
            let root = root.as_ref().ok_or(ENOENT)?;
            let data = DebugData {
                caps,
                engine: engine.clone(),
            };
            device_dir(root, data, vdev.as_ref().name())?
        };

        // The algorithms the device serves are registered now, and their self-tests run on it.
        if !engine.features().clear_keys {
            dev_info!(
                vdev,
                "clear keys can't be placed in restricted memory: no algorithm registered\n"
            );
        }
        if let Err(e) = crate::algs::add_engine(engine.clone()) {
            // The device is not bound, so it won't be unbound: stop the engine now. The
            // algorithms took it out of their list.
            dev_err!(
                vdev,
                "registering the algorithms failed: {}\n",
                e.to_errno()
            );
            engine.shutdown();
            return Err(e);
        }

        Ok(RstkeyDevice {
            _debugfs: debugfs,
            engine,
        })
    }

    fn unbind<'bound>(_vdev: &'bound virtio::Device<Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        // New transformations don't get this engine any more; those that have it get ENODEV.
        crate::algs::remove_engine(&*this.engine);
        // The device is reset after this: let the control request in flight, if any, finish
        // and send no more.
        this.engine.shutdown();
    }
}
