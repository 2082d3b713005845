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
    cryptotest::CryptoTest,
    rsassatest::RsassaTest,
    selftest::Selftest,
    virtio_engine::VirtioEngine, //
};

// The devices the driver binds to: virtio-crypto devices from any vendor.
kernel::virtio_device_table!(VIRTIO_TABLE, [virtio::DeviceId::new(VirtioCrypto::ID)]);

/// The rstkey virtio driver.
pub(crate) struct RstkeyDriver;

/// What the debugfs directory of a device shows.
#[pin_data]
struct DebugData {
    /// The capabilities read from the device at probe time (`capabilities`).
    caps: Capabilities,
    /// The engine, whose counters are in `stats`.
    engine: Arc<VirtioEngine>,
    /// The test-only `selftest` file.
    #[pin]
    selftest: Selftest,
    /// The test-only `crypto` file.
    #[pin]
    crypto: CryptoTest,
    /// The test-only `rsassa` file.
    #[pin]
    rsassa: RsassaTest,
}

/// The private data of a bound virtio-crypto device.
///
/// Fields are dropped in declaration order: the debugfs files go first, waiting for the file
/// operations in progress, then the engine.
pub(crate) struct RstkeyDevice {
    /// The device's debugfs directory, `rstkey/<device name>/`.
    _debugfs: Pin<KBox<debugfs::Scope<DebugData>>>,
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

        let root = crate::DEBUGFS_ROOT.lock();
        // The root directory is set before the driver is registered and cleared after it is
        // unregistered, so it is always there while a device can be probed.
        let root = root.as_ref().ok_or(ENOENT)?;

        let (debug_engine, selftest_engine, rsassa_engine, crypto_engine) = (
            engine.clone(),
            engine.clone(),
            engine.clone(),
            engine.clone(),
        );
        let debugfs = KBox::pin_init(
            root.scope(
                try_pin_init!(DebugData {
                    caps,
                    engine: debug_engine,
                    selftest <- Selftest::new(selftest_engine),
                    crypto <- CryptoTest::new(crypto_engine),
                    rsassa <- RsassaTest::new(rsassa_engine),
                }? Error),
                vdev.as_ref().name(),
                |data, dir| {
                    dir.read_only_file(c"capabilities", &data.caps);
                    dir.read_only_file(c"stats", data.engine.stats());
                    dir.read_write_file(c"selftest", &data.selftest);
                    dir.read_write_file(c"crypto", &data.crypto);
                    dir.read_write_file(c"rsassa", &data.rsassa);
                },
            ),
            GFP_KERNEL,
        )?;

        // The algorithms the device serves are registered now, and their self-tests run on it.
        if !engine.takes_clear_keys() {
            dev_info!(
                vdev,
                "clear keys can't be placed in restricted memory: no algorithm registered\n"
            );
        }
        crate::algs::add_engine(engine.clone())?;

        Ok(RstkeyDevice {
            _debugfs: debugfs,
            engine,
        })
    }

    fn unbind<'bound>(_vdev: &'bound virtio::Device<Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        // New transformations don't get this engine any more; those that have it get ENODEV.
        crate::algs::remove_engine(&this.engine);
        // The device is reset after this: let the control request in flight, if any, finish
        // and send no more.
        this.engine.shutdown();
    }
}
