// SPDX-License-Identifier: GPL-2.0

//! The virtio driver for virtio-crypto devices.

use kernel::{
    debugfs,
    device::Core,
    prelude::*,
    virtio::{
        self,
        DeviceType as _, //
    }, //
};

use crate::caps::{
    Capabilities,
    VirtioCrypto, //
};

// The devices the driver binds to: virtio-crypto devices from any vendor.
kernel::virtio_device_table!(VIRTIO_TABLE, [virtio::DeviceId::new(VirtioCrypto::ID)]);

/// The rstkey virtio driver.
pub(crate) struct RstkeyDriver;

/// The private data of a bound virtio-crypto device.
pub(crate) struct RstkeyDevice {
    /// The device's debugfs directory, `rstkey/<device name>/`, with its `capabilities` file.
    ///
    /// It owns the capabilities read from the device at probe time.
    _debugfs: Pin<KBox<debugfs::Scope<Capabilities>>>,
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

        let root = crate::DEBUGFS_ROOT.lock();
        // The root directory is set before the driver is registered and cleared after it is
        // unregistered, so it is always there while a device can be probed.
        let root = root.as_ref().ok_or(ENOENT)?;

        let debugfs = KBox::pin_init(
            root.scope(caps, vdev.as_ref().name(), |caps, dir| {
                dir.read_only_file(c"capabilities", caps);
            }),
            GFP_KERNEL,
        )?;

        Ok(RstkeyDevice { _debugfs: debugfs })
    }
}
