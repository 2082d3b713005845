// SPDX-License-Identifier: GPL-2.0

//! Virtio device-specific configuration space.
//!
//! C header: [`include/linux/virtio_config.h`](srctree/include/linux/virtio_config.h)

use super::Device;
use crate::{
    bindings,
    device,
    io::{
        IoBackend,
        IoBase,
        IoCapable, //
    },
    ptr::KnownSize, //
};

/// A virtio device type and the layout of its device-specific configuration space.
///
/// The configuration space of a virtio device is not memory: the transport (PCI, MMIO, CCW,
/// vDPA, ...) reads and writes it on behalf of the driver, and some transports do not check the
/// offsets they are given. This trait is how a driver states which layout it expects, so that
/// [`Device::config_space`] can hand out a [`ConfigSpace`] view that is known to stay within the
/// configuration space.
///
/// # Safety
///
/// Every virtio device whose device type is [`DeviceType::ID`] has a device-specific
/// configuration space that is at least `size_of::<Self::Config>()` bytes long, and each field of
/// [`DeviceType::Config`] has the offset and width that the VIRTIO specification defines for it
/// (usually `Config` is the `struct virtio_*_config` of the device type in
/// `include/uapi/linux/virtio_*.h`; fields that only exist with certain features must be left
/// out of it).
pub unsafe trait DeviceType {
    /// The device type (one of the `VIRTIO_ID_*` values).
    const ID: u32;

    /// The layout of the device-specific configuration space.
    type Config;
}

/// A view of (a part of) the device-specific configuration space of a bound virtio device.
///
/// Fields are accessed with [`io_read!`](kernel::io::io_read),
/// [`io_write!`](kernel::io::io_write) and [`io_project!`](kernel::io::io_project). Accesses of 8,
/// 16, 32 and 64 bits are supported, and each access has the width of the field, as the VIRTIO
/// specification requires.
///
/// Values are converted from the device's byte order to the CPU's (`virtio_cread*()`): the
/// configuration space of devices that negotiated `VIRTIO_F_VERSION_1` is little-endian, so a
/// `__le32` field reads as its CPU value. 64-bit fields are read with the configuration
/// generation check of `virtio_cread64()`. Accesses may sleep.
///
/// A view is obtained from [`Device::config_space`].
///
/// # Examples
///
/// ```no_run
/// use kernel::{
///     device::Bound,
///     io::io_read,
///     prelude::*,
///     virtio, //
/// };
///
/// /// The configuration space of a virtio-crypto device (`struct virtio_crypto_config`),
/// /// up to the services mask.
/// #[repr(C)]
/// struct CryptoConfig {
///     status: u32,
///     max_dataqueues: u32,
///     crypto_services: u32,
/// }
///
/// /// The virtio-crypto device type.
/// struct Crypto;
///
/// // SAFETY: VIRTIO 1.2, 5.9.4: the configuration space of a crypto device starts with these
/// // three `le32` fields.
/// unsafe impl virtio::DeviceType for Crypto {
///     const ID: u32 = 20;
///     type Config = CryptoConfig;
/// }
///
/// fn services(vdev: &virtio::Device<Bound>) -> Result<u32> {
///     let config = vdev.config_space::<Crypto>()?;
///
///     Ok(io_read!(config, .crypto_services))
/// }
/// ```
///
/// # Invariants
///
/// `vdev` is bound to a driver, and the range `ptr..ptr + KnownSize::size(ptr)` (the pointer's
/// address being the offset into the configuration space) is aligned for `T` and lies within the
/// device-specific configuration space of `vdev`.
pub struct ConfigSpace<'a, T: ?Sized> {
    vdev: &'a Device<device::Bound>,
    ptr: *mut T,
}

impl<'a, T> ConfigSpace<'a, T> {
    /// Creates a view of the whole configuration space of `vdev` with the layout `T`.
    ///
    /// # Safety
    ///
    /// The device-specific configuration space of `vdev` must be at least `size_of::<T>()` bytes
    /// long.
    pub(super) unsafe fn new(vdev: &'a Device<device::Bound>) -> Self {
        // INVARIANT: The null pointer is aligned for every type, and per the safety requirements
        // `0..size_of::<T>()` lies within the configuration space.
        Self {
            vdev,
            ptr: core::ptr::null_mut(),
        }
    }
}

impl<T: ?Sized> Copy for ConfigSpace<'_, T> {}
impl<T: ?Sized> Clone for ConfigSpace<'_, T> {
    #[inline]
    fn clone(&self) -> Self {
        *self
    }
}

// SAFETY: `ConfigSpace<'_, T>` is conceptually `&T`, but in the device's configuration space.
unsafe impl<T: ?Sized + Sync> Send for ConfigSpace<'_, T> {}

// SAFETY: `ConfigSpace<'_, T>` is conceptually `&T`, but in the device's configuration space.
unsafe impl<T: ?Sized + Sync> Sync for ConfigSpace<'_, T> {}

/// I/O backend for the virtio configuration space.
pub struct ConfigSpaceBackend;

impl IoBackend for ConfigSpaceBackend {
    type View<'a, T: ?Sized + KnownSize> = ConfigSpace<'a, T>;

    #[inline]
    fn as_ptr<'a, T: ?Sized + KnownSize>(view: ConfigSpace<'a, T>) -> *mut T {
        view.ptr
    }

    #[inline]
    unsafe fn project_view<'a, T: ?Sized + KnownSize, U: ?Sized + KnownSize>(
        view: Self::View<'a, T>,
        ptr: *mut U,
    ) -> Self::View<'a, U> {
        // INVARIANT: Per the safety requirement, `ptr` is a projection of `view.ptr`, so it stays
        // within the range of `view`.
        ConfigSpace {
            vdev: view.vdev,
            ptr,
        }
    }
}

/// Implements [`IoCapable`] on [`ConfigSpace`] for `$ty` using `$read_fn` and `$write_fn`.
macro_rules! impl_config_space_io_capable {
    ($ty:ty, $read_fn:ident, $write_fn:ident) => {
        impl IoCapable<$ty> for ConfigSpaceBackend {
            #[inline]
            fn io_read(view: ConfigSpace<'_, $ty>) -> $ty {
                // CAST: By the type invariant the offset lies within the configuration space,
                // whose size the transports keep in an `unsigned int`, so it fits in a `u32`.
                let offset = view.ptr.addr() as u32;

                // SAFETY: By the type invariants of `ConfigSpace`, `view.vdev` is a valid, bound
                // virtio device and `offset..offset + size_of::<$ty>()` is an aligned range
                // within its configuration space.
                unsafe { bindings::$read_fn(view.vdev.as_raw(), offset) }
            }

            #[inline]
            fn io_write(view: ConfigSpace<'_, $ty>, value: $ty) {
                // CAST: By the type invariant the offset lies within the configuration space,
                // whose size the transports keep in an `unsigned int`, so it fits in a `u32`.
                let offset = view.ptr.addr() as u32;

                // SAFETY: By the type invariants of `ConfigSpace`, `view.vdev` is a valid, bound
                // virtio device and `offset..offset + size_of::<$ty>()` is an aligned range
                // within its configuration space.
                unsafe { bindings::$write_fn(view.vdev.as_raw(), offset, value) }
            }
        }
    };
}

impl_config_space_io_capable!(u8, virtio_cread8, virtio_cwrite8);
impl_config_space_io_capable!(u16, virtio_cread16, virtio_cwrite16);
impl_config_space_io_capable!(u32, virtio_cread32, virtio_cwrite32);
impl_config_space_io_capable!(u64, virtio_cread64, virtio_cwrite64);

impl<'a, T: ?Sized + KnownSize> IoBase<'a> for ConfigSpace<'a, T> {
    type Backend = ConfigSpaceBackend;
    type Target = T;

    #[inline]
    fn as_view(self) -> ConfigSpace<'a, T> {
        self
    }
}
