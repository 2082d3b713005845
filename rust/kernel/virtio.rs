// SPDX-License-Identifier: GPL-2.0

//! Abstractions for the virtio bus.
//!
//! A virtio driver implements [`Driver`] and is registered with [`module_virtio_driver!`] (or an
//! explicit [`driver::Registration`] of an [`Adapter`]). The bus abstraction takes care of the
//! parts of the virtio driver protocol that every driver has to follow: the features the driver
//! lists in [`Driver::FEATURES`] are negotiated by the virtio core before [`Driver::probe`] is
//! called, the device is set `DRIVER_OK` by the virtio core after a successful probe, and the
//! device is reset when the driver is unbound, after [`Driver::unbind`] has run and before the
//! driver's private data is dropped.
//!
//! The device-specific configuration space is accessed through a typed [`ConfigSpace`] view, see
//! [`DeviceType`].
//!
//! Virtqueues are set up in probe with [`Virtqueues::new`]; the bus abstraction deletes them when
//! the driver is unbound (or its probe fails), after resetting the device, see [`virtqueue`].
//!
//! C header: [`include/linux/virtio.h`](srctree/include/linux/virtio.h)
//!
//! C header: [`include/linux/virtio_config.h`](srctree/include/linux/virtio_config.h)
//!
//! [`module_virtio_driver!`]: kernel::module_virtio_driver

// TODO: The `config_changed`, `freeze`/`restore` callbacks are not wrapped yet.

use crate::{
    bindings,
    container_of,
    device,
    device_id::RawDeviceId,
    driver,
    error::{
        from_result,
        to_result, //
    },
    prelude::*,
    types::Opaque,
    ThisModule, //
};
use core::{
    marker::PhantomData,
    mem::offset_of,
    ptr::{
        addr_of_mut,
        NonNull, //
    },
};

mod config;
pub mod virtqueue;

pub use self::config::{
    ConfigSpace,
    ConfigSpaceBackend,
    DeviceType, //
};
pub use self::virtqueue::{
    AddError,
    Handler,
    Queue,
    Sgs,
    Virtqueue,
    Virtqueues, //
};

/// An adapter for the registration of virtio drivers.
pub struct Adapter<T: Driver>(T);

// SAFETY:
// - `bindings::virtio_driver` is a C type declared as `repr(C)`.
// - `T::Data` is the type of the driver's device private data.
// - `struct virtio_driver` embeds a `struct device_driver`.
// - `DEVICE_DRIVER_OFFSET` is the correct byte offset to the embedded `struct device_driver`.
unsafe impl<T: Driver> driver::DriverLayout for Adapter<T> {
    type DriverType = bindings::virtio_driver;
    type DriverData<'bound> = T::Data<'bound>;
    const DEVICE_DRIVER_OFFSET: usize = core::mem::offset_of!(Self::DriverType, driver);
}

// SAFETY: A call to `unregister` for a given instance of `DriverType` is guaranteed to be valid if
// a preceding call to `register` has been successful.
unsafe impl<T: Driver> driver::RegistrationOps for Adapter<T> {
    unsafe fn register(
        vdrv: &Opaque<Self::DriverType>,
        name: &'static CStr,
        module: &'static ThisModule,
    ) -> Result {
        let features = T::FEATURES;
        let features_len = u32::try_from(features.len())?;

        // SAFETY: It's safe to set the fields of `struct virtio_driver` on initialization.
        // `T::ID_TABLE` and `T::FEATURES` are `'static`, so they outlive the registration.
        unsafe {
            (*vdrv.get()).driver.name = name.as_char_ptr();
            (*vdrv.get()).id_table = T::ID_TABLE.as_ptr();
            (*vdrv.get()).feature_table = features.as_ptr();
            (*vdrv.get()).feature_table_size = features_len;
            (*vdrv.get()).probe = Some(Self::probe_callback);
            (*vdrv.get()).remove = Some(Self::remove_callback);
        }

        // SAFETY: `vdrv` is guaranteed to be a valid `DriverType`.
        to_result(unsafe { bindings::__register_virtio_driver(vdrv.get(), module.as_ptr()) })
    }

    unsafe fn unregister(vdrv: &Opaque<Self::DriverType>) {
        // SAFETY: `vdrv` is guaranteed to be a valid `DriverType`.
        unsafe { bindings::unregister_virtio_driver(vdrv.get()) }
    }
}

impl<T: Driver> Adapter<T> {
    /// The `probe` callback of `struct virtio_driver`: probes `T` and stores its private data.
    extern "C" fn probe_callback(vdev: *mut bindings::virtio_device) -> c_int {
        // SAFETY: The virtio bus only ever calls the probe callback with a valid pointer to a
        // `struct virtio_device`.
        //
        // INVARIANT: `vdev` is valid for the duration of `probe_callback()`.
        let vdev = unsafe { &*vdev.cast::<Device<device::CoreInternal<'_>>>() };

        // `priv` belongs to the driver bound to the device, and drivers do not clear it when they
        // are unbound (the C `virtio_crypto` leaves a pointer to its freed state there): what it
        // holds now is stale. Clear it, since `Virtqueues` and the error path below tell from it
        // whether this driver set up virtqueues.
        //
        // SAFETY: `vdev.as_raw()` is a valid device in probe, with the device lock held and no
        // driver bound, so nothing else uses `priv`.
        unsafe { (*vdev.as_raw()).priv_ = core::ptr::null_mut() };

        let ret = from_result(|| {
            let data = T::probe(vdev);

            vdev.as_ref().set_drvdata(data)?;
            Ok(0)
        });

        if ret != 0 {
            // The driver's data, if any, has been dropped. Virtqueues it set up are still there,
            // and the device may have been marked ready: reset it before deleting them, as in
            // `remove_callback()`.
            //
            // SAFETY: `vdev.as_raw()` is a valid device, in probe, which holds the device lock.
            // The device is reset before `teardown_device()`.
            unsafe {
                if !(*vdev.as_raw()).priv_.is_null() {
                    bindings::virtio_reset_device(vdev.as_raw());
                    virtqueue::teardown_device(vdev.as_raw());
                }
            }
        }

        ret
    }

    /// The `remove` callback of `struct virtio_driver`: unbinds `T`, resets the device and
    /// deletes its virtqueues.
    extern "C" fn remove_callback(vdev: *mut bindings::virtio_device) {
        // SAFETY: The virtio bus only ever calls the remove callback with a valid pointer to a
        // `struct virtio_device`.
        //
        // INVARIANT: `vdev` is valid for the duration of `remove_callback()`.
        let vdev = unsafe { &*vdev.cast::<Device<device::CoreInternal<'_>>>() };

        // SAFETY: `remove_callback` is only ever called after a successful call to
        // `probe_callback`, hence it's guaranteed that `Device::set_drvdata()` has been called
        // and stored a `Pin<KBox<T::Data<'_>>>`.
        let data = unsafe { vdev.as_ref().drvdata_borrow::<T::Data<'_>>() };

        T::unbind(vdev, data);

        // The virtio core requires the driver to leave the device reset when `remove()` returns
        // (it warns if the status is not zero). Resetting here, after `unbind()` and before the
        // driver's private data is dropped, makes sure the device stops using any memory that
        // the private data owns.
        //
        // SAFETY: `vdev.as_raw()` is a valid pointer to a `struct virtio_device`. This is the
        // virtio core's remove path, which has disabled configuration change callbacks and is
        // where the virtio core expects the driver to reset the device (not from a virtqueue or
        // configuration callback, and not concurrently with adding or removing the device).
        unsafe { bindings::virtio_reset_device(vdev.as_raw()) };

        // Now that the device is reset, return the requests still in the virtqueues to the
        // driver and delete the virtqueues; the driver's private data, which may hold a handle
        // to them, is dropped after this.
        //
        // SAFETY: `vdev.as_raw()` is a valid device, in remove, which holds the device lock. The
        // device has just been reset.
        unsafe { virtqueue::teardown_device(vdev.as_raw()) };
    }
}

/// Declares a kernel module that exposes a single virtio driver.
///
/// # Examples
///
/// ```ignore
/// kernel::module_virtio_driver! {
///     type: MyDriver,
///     name: "Module name",
///     authors: ["Author name"],
///     description: "Description",
///     license: "GPL v2",
/// }
/// ```
#[macro_export]
macro_rules! module_virtio_driver {
    ($($f:tt)*) => {
        $crate::module_driver!(<T>, $crate::virtio::Adapter<T>, { $($f)* });
    };
}

/// Abstraction for the virtio device ID structure ([`struct virtio_device_id`]).
///
/// A device matches an ID if its device type equals [`DeviceId::device`] and, unless the ID's
/// vendor is [`DeviceId::ANY`], its vendor equals [`DeviceId::vendor`].
///
/// # Examples
///
/// ```
/// use kernel::virtio::DeviceId;
///
/// // VIRTIO_ID_CRYPTO, any vendor.
/// let id = DeviceId::new(20);
/// assert_eq!(id.device(), 20);
/// assert_eq!(id.vendor(), DeviceId::ANY);
///
/// // VIRTIO_ID_NET, only from the PCI vendor ID that virtio-pci devices use.
/// let id = DeviceId::with_vendor(1, 0x1af4);
/// assert_eq!(id.device(), 1);
/// assert_eq!(id.vendor(), 0x1af4);
/// ```
///
/// [`struct virtio_device_id`]: srctree/include/linux/device-id/virtio.h
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct DeviceId(bindings::virtio_device_id);

impl DeviceId {
    /// Matches any vendor (`VIRTIO_DEV_ANY_ID`).
    pub const ANY: u32 = bindings::VIRTIO_DEV_ANY_ID;

    /// Creates a new [`DeviceId`] matching devices of type `device` from any vendor.
    ///
    /// `device` is one of the `VIRTIO_ID_*` values of
    /// [`include/uapi/linux/virtio_ids.h`](srctree/include/uapi/linux/virtio_ids.h). It must
    /// not be zero: a zero device type terminates the ID table.
    #[inline]
    pub const fn new(device: u32) -> Self {
        Self::with_vendor(device, Self::ANY)
    }

    /// Creates a new [`DeviceId`] matching devices of type `device` from `vendor` only.
    #[inline]
    pub const fn with_vendor(device: u32, vendor: u32) -> Self {
        Self(bindings::virtio_device_id { device, vendor })
    }

    /// Returns the device type this ID matches.
    #[inline]
    pub const fn device(&self) -> u32 {
        self.0.device
    }

    /// Returns the vendor this ID matches, or [`DeviceId::ANY`].
    #[inline]
    pub const fn vendor(&self) -> u32 {
        self.0.vendor
    }
}

// SAFETY: `DeviceId` is a `#[repr(transparent)]` wrapper of `virtio_device_id` and does not add
// additional invariants, so it's safe to transmute to `RawType`.
unsafe impl RawDeviceId for DeviceId {
    type RawType = bindings::virtio_device_id;
}

/// `IdTable` type for virtio.
///
/// `struct virtio_device_id` has no `driver_data` field, so a virtio ID table carries no
/// per-ID information.
pub type IdTable = &'static dyn kernel::device_id::IdTable<DeviceId, ()>;

/// Create a virtio `IdTable` with its alias for modpost.
///
/// # Examples
///
/// ```
/// kernel::virtio_device_table!(VIRTIO_TABLE, [kernel::virtio::DeviceId::new(20)]);
/// ```
#[macro_export]
macro_rules! virtio_device_table {
    ($table_name:ident, [$($id:expr),+ $(,)?]) => {
        $crate::module_device_table!(
            "virtio", $crate::virtio::DeviceId, $table_name, @none, [$($id),+]
        );
    };
}

/// The virtio driver trait.
///
/// Drivers must implement this trait in order to get a virtio driver registered.
///
/// Unlike most other buses, a virtio ID table cannot carry per-ID data (there is no
/// `driver_data` in `struct virtio_device_id`), so there is no `IdInfo` type and
/// [`Driver::probe`] gets no ID information; the device type and vendor are available from the
/// [`Device`] itself.
///
/// # Examples
///
/// ```
/// use kernel::{
///     device::Core,
///     virtio::{
///         self,
///         DeviceType as _, //
///     }, //
/// };
///
/// /// The layout of a device's configuration space, as in `include/uapi/linux/virtio_*.h`.
/// #[repr(C)]
/// struct MyConfig {
///     status: u32,
///     max_size: u64,
/// }
///
/// /// The device type driven by `MyDriver`.
/// struct MyDevice;
///
/// // SAFETY: Devices of type 0x7ffe have a configuration space with the layout of `MyConfig`.
/// unsafe impl virtio::DeviceType for MyDevice {
///     const ID: u32 = 0x7ffe;
///     type Config = MyConfig;
/// }
///
/// struct MyDriver;
///
/// kernel::virtio_device_table!(MY_TABLE, [virtio::DeviceId::new(MyDevice::ID)]);
///
/// impl virtio::Driver for MyDriver {
///     type Data<'bound> = Self;
///     const ID_TABLE: virtio::IdTable = &MY_TABLE;
///     const FEATURES: &'static [u32] = &[3];
///
///     fn probe<'bound>(
///         vdev: &'bound virtio::Device<Core<'_>>,
///     ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
///         let config = vdev.config_space::<MyDevice>()?;
///         let status: u32 = kernel::io::io_read!(config, .status);
///         let max_size: u64 = kernel::io::io_read!(config, .max_size);
///
///         dev_info!(
///             vdev,
///             "status {status:#x}, max size {max_size}, feature 3: {}\n",
///             vdev.has_feature(3)
///         );
///
///         Ok(Self)
///     }
/// }
/// ```
pub trait Driver {
    /// The type of the driver's bus device private data.
    type Data<'bound>: Send + 'bound;

    /// The table of device ids supported by the driver.
    const ID_TABLE: IdTable;

    /// The device-specific feature bits the driver supports.
    ///
    /// Only these bits (and the transport feature bits) are negotiated with the device; see
    /// [`Device::has_feature`].
    const FEATURES: &'static [u32] = &[];

    /// Virtio driver probe.
    ///
    /// Called when a virtio device matches the driver, after feature negotiation. The device
    /// is set `DRIVER_OK` by the virtio core once the returned initializer has succeeded.
    fn probe<'bound>(
        dev: &'bound Device<device::Core<'_>>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound;

    /// Virtio driver unbind.
    ///
    /// Called when a [`Device`] is unbound from its bound [`Driver`]. Implementing this callback
    /// is optional.
    ///
    /// This callback serves as a place for drivers to perform teardown operations that require a
    /// `&Device<Core>` or `&Device<Bound>` reference. For instance, drivers may try to perform I/O
    /// operations to gracefully tear down the device.
    ///
    /// The device is reset right after this callback returns; the driver's private data is
    /// dropped after that. Otherwise, release operations for driver resources should be
    /// performed in `Drop`.
    fn unbind<'bound>(dev: &'bound Device<device::Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        let _ = (dev, this);
    }
}

/// The virtio device representation.
///
/// This structure represents the Rust abstraction for a C `struct virtio_device`. The
/// implementation abstracts the usage of an already existing C `struct virtio_device` within
/// Rust code that we get passed from the C side.
///
/// # Invariants
///
/// A [`Device`] instance represents a valid `struct virtio_device` created by the C portion of
/// the kernel.
#[repr(transparent)]
pub struct Device<Ctx: device::DeviceContext = device::Normal>(
    Opaque<bindings::virtio_device>,
    PhantomData<Ctx>,
);

impl<Ctx: device::DeviceContext> Device<Ctx> {
    /// Returns the raw `struct virtio_device` pointer.
    #[inline]
    fn as_raw(&self) -> *mut bindings::virtio_device {
        self.0.get()
    }

    /// Returns the device type (one of the `VIRTIO_ID_*` values).
    #[inline]
    pub fn device_id(&self) -> u32 {
        // SAFETY: By the type invariant `self.as_raw()` is a valid pointer to a
        // `struct virtio_device`, whose `id` is set before the device is registered and never
        // changes afterwards.
        unsafe { (*self.as_raw()).id.device }
    }

    /// Returns the vendor ID of the device.
    ///
    /// For virtio-pci devices this is the PCI subsystem vendor ID.
    #[inline]
    pub fn vendor_id(&self) -> u32 {
        // SAFETY: By the type invariant `self.as_raw()` is a valid pointer to a
        // `struct virtio_device`, whose `id` is set before the device is registered and never
        // changes afterwards.
        unsafe { (*self.as_raw()).id.vendor }
    }

    /// Returns the position of the device on the virtio bus, as in its name `virtio<index>`.
    #[inline]
    pub fn index(&self) -> i32 {
        // SAFETY: By the type invariant `self.as_raw()` is a valid pointer to a
        // `struct virtio_device`, whose `index` is set when the device is registered and never
        // changes afterwards.
        unsafe { (*self.as_raw()).index }
    }
}

impl Device<device::Bound> {
    /// Returns whether the feature `bit` has been negotiated with the device.
    ///
    /// Device-specific features are only negotiated if the bound driver lists them in
    /// [`Driver::FEATURES`]; for any other device-specific bit this returns `false` (the C
    /// `virtio_has_feature()` treats asking for such a bit as a bug). Transport feature bits,
    /// such as `VIRTIO_F_VERSION_1` (bit 32), are negotiated by the virtio core and the
    /// transport.
    pub fn has_feature(&self, bit: u32) -> bool {
        if bit >= bindings::VIRTIO_FEATURES_BITS {
            return false;
        }

        // SAFETY:
        // - By the type invariant `self.as_raw()` is a valid pointer to a `struct virtio_device`.
        // - `bit` is below `VIRTIO_FEATURES_BITS`, so it is within the feature array.
        // - The features of a bound device only change during probe, before the driver gets to
        //   see the device.
        unsafe { bindings::__virtio_test_bit(self.as_raw(), bit) }
    }

    /// Returns a view of the device-specific configuration space with the layout of
    /// `D::Config`.
    ///
    /// Fields are read and written with [`io_read!`](kernel::io::io_read) and
    /// [`io_write!`](kernel::io::io_write), see [`ConfigSpace`].
    ///
    /// # Errors
    ///
    /// Returns [`ENODEV`] if the device is not of type [`D::ID`](DeviceType::ID).
    pub fn config_space<D: DeviceType>(&self) -> Result<ConfigSpace<'_, D::Config>> {
        if self.device_id() != D::ID {
            return Err(ENODEV);
        }

        // SAFETY: The device is of type `D::ID`, so by the safety requirements of `DeviceType`
        // its configuration space has the layout of `D::Config`.
        Ok(unsafe { ConfigSpace::new(self) })
    }
}

impl Device<device::Bound> {
    /// Returns the device that does the DMA of this virtio device: its transport's device, for
    /// instance the PCI function of virtio-pci.
    ///
    /// This is the device to attach dma-bufs to that the virtio device reaches through its
    /// virtqueues. It is bound to its (transport) driver for at least as long as this device is
    /// bound, since the transport removes this device before it is unbound itself.
    pub fn dma_device(&self) -> Result<&device::Device<device::Bound>> {
        let parent = self.as_ref().parent().ok_or(ENODEV)?;
        // SAFETY: The parent of a bound virtio device is its transport's device, bound to the
        // transport driver, which unregisters this device before it is unbound; the returned
        // reference lives no longer than `self`, a bound device.
        Ok(unsafe { parent.as_bound() })
    }
}

impl Device<device::Core<'_>> {
    /// Marks the device ready (`DRIVER_OK`), so that its virtqueues can be used during probe.
    ///
    /// Without this, the virtio core marks the device ready when probe has succeeded. Call it
    /// after [`Virtqueues::new`]: the device may use the virtqueues from then on. Does nothing if
    /// the device is ready already.
    pub fn ready(&self) {
        // SAFETY: `self.as_raw()` is a valid device in probe; the transport sets the
        // configuration operations before the device is registered.
        let status = unsafe {
            match (*(*self.as_raw()).config).get_status {
                Some(get_status) => get_status(self.as_raw()),
                None => 0,
            }
        };
        if u32::from(status) & bindings::VIRTIO_CONFIG_S_DRIVER_OK != 0 {
            return;
        }

        // SAFETY: `self.as_raw()` is a valid device in probe (the device lock is held), which
        // is not ready yet.
        unsafe { bindings::virtio_device_ready(self.as_raw()) };
    }
}

// SAFETY: `virtio::Device` is a transparent wrapper of `struct virtio_device`.
// The offset is guaranteed to point to a valid device field inside `virtio::Device`.
unsafe impl<Ctx: device::DeviceContext> device::AsBusDevice<Ctx> for Device<Ctx> {
    const OFFSET: usize = offset_of!(bindings::virtio_device, dev);
}

// SAFETY: `Device` is a transparent wrapper of a type that doesn't depend on `Device`'s generic
// argument.
kernel::impl_device_context_deref!(unsafe { Device });
kernel::impl_device_context_into_aref!(Device);

// SAFETY: Instances of `Device` are always reference-counted.
unsafe impl crate::sync::aref::AlwaysRefCounted for Device {
    #[inline]
    fn inc_ref(&self) {
        // SAFETY: The existence of a shared reference guarantees that the refcount is non-zero.
        unsafe { bindings::get_device(self.as_ref().as_raw()) };
    }

    #[inline]
    unsafe fn dec_ref(obj: NonNull<Self>) {
        // CAST: `Self` is a transparent wrapper of `bindings::virtio_device`.
        let vdev: *mut bindings::virtio_device = obj.cast().as_ptr();

        // SAFETY: By the type invariant of `Self`, `vdev` is a pointer to a valid
        // `struct virtio_device`.
        let dev = unsafe { addr_of_mut!((*vdev).dev) };

        // SAFETY: The safety requirements guarantee that the refcount is non-zero.
        unsafe { bindings::put_device(dev) }
    }
}

impl<Ctx: device::DeviceContext> AsRef<device::Device<Ctx>> for Device<Ctx> {
    #[inline]
    fn as_ref(&self) -> &device::Device<Ctx> {
        // SAFETY: By the type invariant of `Self`, `self.as_raw()` is a pointer to a valid
        // `struct virtio_device`.
        let dev = unsafe { addr_of_mut!((*self.as_raw()).dev) };

        // SAFETY: `dev` points to a valid `struct device`.
        unsafe { device::Device::from_raw(dev) }
    }
}

impl<Ctx: device::DeviceContext> TryFrom<&device::Device<Ctx>> for &Device<Ctx> {
    type Error = kernel::error::Error;

    fn try_from(dev: &device::Device<Ctx>) -> Result<Self, Self::Error> {
        // SAFETY: By the type invariant of `Device`, `dev.as_raw()` is a valid pointer to a
        // `struct device`.
        if !unsafe { bindings::is_virtio_device(dev.as_raw()) } {
            return Err(EINVAL);
        }

        // SAFETY: We've just verified that the bus type of `dev` is the virtio bus, hence `dev`
        // must be embedded in a valid `struct virtio_device` as guaranteed by the corresponding C
        // code.
        let vdev = unsafe { container_of!(dev.as_raw(), bindings::virtio_device, dev) };

        // SAFETY: `vdev` is a valid pointer to a `struct virtio_device`.
        Ok(unsafe { &*vdev.cast() })
    }
}

// SAFETY: A `Device` is always reference-counted and can be released from any thread.
unsafe impl Send for Device {}

// SAFETY: `Device` can be shared among threads because all methods of `Device`
// (i.e. `Device<Normal>) are thread safe.
unsafe impl Sync for Device {}

// SAFETY: Same as `Device<Normal>` -- the underlying `struct virtio_device` is the same;
// `Bound` is a zero-sized type-state marker that does not affect thread safety.
unsafe impl Sync for Device<device::Bound> {}

#[cfg(CONFIG_RUST_VIRTIO_KUNIT_TEST)]
#[kunit_tests(rust_kernel_virtio)]
mod tests {
    use super::DeviceId;
    use crate::device_id::{
        IdArray,
        IdTable as _, //
    };
    use crate::prelude::*;

    /// A table of two IDs, as `virtio_device_table!` builds it.
    static TABLE: IdArray<DeviceId, (), 2> =
        IdArray::new_without_index([DeviceId::new(20), DeviceId::with_vendor(1, 0x1af4)]);

    /// [`DeviceId::new`] matches any vendor.
    #[test]
    fn id_any_vendor() {
        let id = DeviceId::new(20);

        assert_eq!(id.device(), 20);
        assert_eq!(id.vendor(), 0xffff_ffff);
    }

    /// An ID table is laid out as the C `struct virtio_device_id` array the virtio core walks.
    #[test]
    fn id_table_layout() -> Result {
        let raw = TABLE.as_ptr();

        // SAFETY: `TABLE` holds two IDs followed by the zeroed sentinel, which `as_ptr()` returns
        // a pointer to with provenance over all three entries.
        let entries = unsafe { core::slice::from_raw_parts(raw, 3) };

        let [first, second, sentinel] = entries else {
            return Err(EINVAL);
        };

        assert_eq!((first.device, first.vendor), (20, DeviceId::ANY));
        assert_eq!((second.device, second.vendor), (1, 0x1af4));
        // The virtio core stops matching at the first entry whose `device` is zero.
        assert_eq!((sentinel.device, sentinel.vendor), (0, 0));

        Ok(())
    }
}
