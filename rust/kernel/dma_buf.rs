// SPDX-License-Identifier: GPL-2.0

//! DMA buffer sharing, importer side.
//!
//! A dma-buf is a buffer that one driver (the exporter) shares with others (the importers). This
//! module offers what an importer needs to let a device reach a buffer with DMA:
//!
//! - [`DmaBuf`]: a reference-counted buffer, held through an [`ARef<DmaBuf>`]. It is obtained
//!   from a file descriptor with [`DmaBuf::from_fd`] or from an allocator that returns dma-bufs,
//!   such as the TEE protected memory allocator (`kernel::tee::Context::alloc_protmem`).
//! - [`Attachment`]: the buffer attached to a device with [`DmaBuf::attach`]; the buffer is
//!   detached when the [`Attachment`] is dropped.
//! - [`Mapping`]: an attachment mapped for DMA with [`Attachment::map`]. It dereferences to the
//!   [`SGTable`] of DMA addresses the device uses; the attachment is unmapped when the
//!   [`Mapping`] is dropped.
//!
//! # Lifetimes
//!
//! The C API requires that a buffer outlives its attachments and that an attachment outlives its
//! mapping. Both are ensured by ownership:
//!
//! - an [`Attachment`] holds its own reference to the [`DmaBuf`], so dropping the caller's
//!   [`ARef<DmaBuf>`] while the buffer is attached does not release the buffer;
//! - [`Attachment::map`] consumes the [`Attachment`] and the [`Mapping`] owns it until
//!   [`Mapping::unmap`] gives it back or the [`Mapping`] is dropped, which unmaps first and then
//!   detaches. This also rules out mapping an attachment twice, which exporters don't support.
//!
//! An [`Attachment`] borrows the [`Device<Bound>`] it was attached to, so neither the attachment
//! nor its mapping can outlive the binding of the device to its driver.
//!
//! # No CPU access
//!
//! This module deliberately offers no CPU access to the contents of a buffer: no `vmap`, no
//! `begin_cpu_access`/`end_cpu_access` and no `mmap`. Its users handle *restricted* buffers, such
//! as the TEE protected memory that holds key material: memory that a hardware firewall keeps out
//! of reach of the normal world CPU, where a CPU access faults or reads garbage, and which the
//! exporter refuses to map anyway. Such a buffer is reached only by devices, through the DMA
//! addresses of a [`Mapping`]. Keeping CPU access out of the API means a driver built on it can't
//! create a CPU mapping of restricted memory by mistake.
//!
//! # Symbol namespace
//!
//! The C dma-buf API is exported in the `DMA_BUF` symbol namespace. The functions of this module
//! that call it are not `#[inline]`, so they are compiled into the kernel crate and modules using
//! them don't need to import the namespace.
//!
//! C header: [`include/linux/dma-buf.h`](srctree/include/linux/dma-buf.h)

use crate::{
    bindings,
    device::{
        Bound,
        Device, //
    },
    dma::DataDirection,
    error::from_err_ptr,
    prelude::*,
    scatterlist::SGTable,
    sync::aref::{
        ARef,
        AlwaysRefCounted, //
    },
    types::Opaque,
};
use core::{
    mem::ManuallyDrop,
    ops::Deref,
    ptr::NonNull, //
};

/// A dma-buf.
///
/// Instances are always reference counted and used through an [`ARef<DmaBuf>`]; cloning the
/// [`ARef`] takes another reference (`get_dma_buf()`), dropping it releases one
/// (`dma_buf_put()`).
///
/// There are no methods that give the CPU access to the contents of the buffer, see the
/// [module documentation](self).
///
/// # Invariants
///
/// A [`DmaBuf`] is a valid `struct dma_buf` with a non-zero reference count (the reference count
/// of its file).
#[repr(transparent)]
pub struct DmaBuf(Opaque<bindings::dma_buf>);

// SAFETY: A `struct dma_buf` may be used and released from any thread; its reference count is the
// reference count of its `struct file`.
unsafe impl Send for DmaBuf {}

// SAFETY: The methods of `DmaBuf` that take `&self` only read immutable fields or call C functions
// that synchronise internally, so they may be called from several threads at once.
unsafe impl Sync for DmaBuf {}

// SAFETY: The type invariants guarantee that `DmaBuf` is always reference counted: the reference
// count of a dma-buf is the reference count of its file, taken with `get_dma_buf()` and released
// with `dma_buf_put()`.
unsafe impl AlwaysRefCounted for DmaBuf {
    fn inc_ref(&self) {
        // SAFETY: The existence of a shared reference guarantees that the reference count is
        // non-zero.
        unsafe { bindings::get_dma_buf(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The safety requirements guarantee that the reference count is non-zero and that
        // the caller owns the reference it releases here.
        unsafe { bindings::dma_buf_put(obj.cast().as_ptr()) };
    }
}

impl DmaBuf {
    /// Takes a reference to the dma-buf behind the file descriptor `fd` of the current task.
    ///
    /// # Errors
    ///
    /// Returns [`EBADF`] if `fd` isn't an open file descriptor and [`EINVAL`] if its file isn't a
    /// dma-buf.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::dma_buf::DmaBuf;
    ///
    /// // A negative number is never an open file descriptor.
    /// assert_eq!(DmaBuf::from_fd(-1).err(), Some(EBADF));
    /// ```
    pub fn from_fd(fd: i32) -> Result<ARef<Self>> {
        // SAFETY: `dma_buf_get()` may be called with any value; it checks the file descriptor.
        let ptr = from_err_ptr(unsafe { bindings::dma_buf_get(fd) })?;

        // SAFETY: On success `dma_buf_get()` returns a valid pointer to a `struct dma_buf` with a
        // reference that is now owned by the new `ARef`.
        Ok(unsafe { Self::from_raw_owned(ptr) })
    }

    /// Takes ownership of a reference to the `struct dma_buf` at `ptr`.
    ///
    /// This is for abstractions of C functions that return a new dma-buf reference, such as
    /// allocators.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct dma_buf` and the caller must own a reference to it,
    /// which is transferred to the returned [`ARef`].
    pub unsafe fn from_raw_owned(ptr: *mut bindings::dma_buf) -> ARef<Self> {
        // CAST: `DmaBuf` is a transparent wrapper of `struct dma_buf`.
        let ptr = ptr.cast::<Self>();

        // SAFETY: By the safety requirements `ptr` is valid, hence not null.
        let ptr = unsafe { NonNull::new_unchecked(ptr) };

        // SAFETY: By the safety requirements the caller owns a reference, which it transfers.
        unsafe { ARef::from_raw(ptr) }
    }

    /// Returns the raw `struct dma_buf` pointer.
    pub fn as_raw(&self) -> *mut bindings::dma_buf {
        self.0.get()
    }

    /// Returns the size of the buffer in bytes.
    ///
    /// The size of a dma-buf is set by its exporter and never changes.
    pub fn size(&self) -> usize {
        // SAFETY: By the type invariants `self.as_raw()` is a valid `struct dma_buf`, whose `size`
        // is not written after the buffer has been exported.
        unsafe { (*self.as_raw()).size }
    }

    /// Attaches the buffer to the device `dev`, which is going to reach it with DMA.
    ///
    /// The returned [`Attachment`] holds its own reference to the buffer and detaches when it is
    /// dropped. The exporter may refuse the attachment, for instance because `dev` isn't allowed
    /// to reach restricted memory.
    ///
    /// # Errors
    ///
    /// Returns the error of `dma_buf_attach()`: [`ENOMEM`] or an error of the exporter's `attach`
    /// callback, such as [`EPERM`] or [`EBUSY`].
    pub fn attach<'a>(&self, dev: &'a Device<Bound>) -> Result<Attachment<'a>> {
        // SAFETY:
        // - `self.as_raw()` is a valid `struct dma_buf` by the type invariants of `Self`.
        // - `dev.as_raw()` is a valid `struct device`, bound to a driver for the lifetime `'a`.
        let ptr = from_err_ptr(unsafe { bindings::dma_buf_attach(self.as_raw(), dev.as_raw()) })?;

        // INVARIANT:
        // - `dma_buf_attach()` succeeded, so `ptr` is a valid attachment of `self` to `dev`.
        // - `buf` is a new reference to `self`.
        Ok(Attachment {
            // SAFETY: `dma_buf_attach()` doesn't return NULL on success.
            attach: unsafe { NonNull::new_unchecked(ptr) },
            buf: self.into(),
            dev,
        })
    }
}

/// A dma-buf attached to a device.
///
/// Created by [`DmaBuf::attach`]; the buffer is detached from the device with `dma_buf_detach()`
/// when the [`Attachment`] is dropped. [`Attachment::map`] turns it into a [`Mapping`] with the
/// DMA addresses of the buffer for the device.
///
/// # Invariants
///
/// - `attach` is a valid attachment of `buf` to `dev`, made by `dma_buf_attach()` and not
///   detached yet.
/// - `attach` is not mapped.
pub struct Attachment<'a> {
    /// The attachment.
    attach: NonNull<bindings::dma_buf_attachment>,
    /// The buffer, kept alive until it is detached.
    buf: ARef<DmaBuf>,
    /// The device the buffer is attached to.
    dev: &'a Device<Bound>,
}

// SAFETY: An attachment may be mapped, unmapped and detached from any thread.
unsafe impl Send for Attachment<'_> {}

// SAFETY: The methods that take `&self` only read immutable data.
unsafe impl Sync for Attachment<'_> {}

impl<'a> Attachment<'a> {
    /// Returns the buffer of this attachment.
    pub fn dma_buf(&self) -> &DmaBuf {
        &self.buf
    }

    /// Returns the device the buffer is attached to.
    pub fn device(&self) -> &'a Device<Bound> {
        self.dev
    }

    /// Maps the attachment for DMA by the device in the direction `dir`.
    ///
    /// The returned [`Mapping`] owns the attachment: the attachment can't be detached, nor mapped
    /// again, while it is mapped. [`Mapping::unmap`] gives the attachment back.
    ///
    /// On error the attachment is detached.
    ///
    /// # Errors
    ///
    /// Returns the error of `dma_buf_map_attachment_unlocked()`, for instance [`ENOMEM`] when the
    /// buffer can't be mapped for the device.
    pub fn map(self, dir: DataDirection) -> Result<Mapping<'a>> {
        // SAFETY: By the type invariants `self.attach` is a valid attachment that isn't mapped.
        let sgt = from_err_ptr(unsafe {
            bindings::dma_buf_map_attachment_unlocked(self.attach.as_ptr(), dir.into())
        })?;

        // SAFETY: `dma_buf_map_attachment_unlocked()` doesn't return NULL on success.
        let sgt = unsafe { NonNull::new_unchecked(sgt) };

        // INVARIANT: `sgt` is the mapping of `attach` in the direction `dir`, just made.
        Ok(Mapping {
            attach: ManuallyDrop::new(self),
            sgt,
            dir,
        })
    }
}

impl Drop for Attachment<'_> {
    fn drop(&mut self) {
        // SAFETY: By the type invariants `self.attach` is a valid, unmapped attachment of
        // `self.buf`, which is not used after this.
        unsafe { bindings::dma_buf_detach(self.buf.as_raw(), self.attach.as_ptr()) };
    }
}

/// An [`Attachment`] mapped for DMA.
///
/// Created by [`Attachment::map`]. It dereferences to the [`SGTable`] of the mapping, whose
/// entries give the DMA addresses ([`SGEntry::dma_address`]) and lengths ([`SGEntry::dma_len`])
/// of the buffer for the device. The attachment is unmapped when the [`Mapping`] is dropped or
/// [`Mapping::unmap`] is called.
///
/// The table is the exporter's: it is valid while the attachment is mapped and must not be
/// changed.
///
/// [`SGEntry::dma_address`]: crate::scatterlist::SGEntry::dma_address
/// [`SGEntry::dma_len`]: crate::scatterlist::SGEntry::dma_len
///
/// # Invariants
///
/// - `sgt` is the `struct sg_table` that `dma_buf_map_attachment_unlocked()` returned for
///   `attach` and `dir`, and `attach` hasn't been unmapped since.
/// - `attach` is dropped only after it has been unmapped.
pub struct Mapping<'a> {
    /// The mapped attachment.
    attach: ManuallyDrop<Attachment<'a>>,
    /// The DMA addresses of the buffer for the device.
    sgt: NonNull<bindings::sg_table>,
    /// The direction of the mapping.
    dir: DataDirection,
}

// SAFETY: A mapping may be used and unmapped from any thread.
unsafe impl Send for Mapping<'_> {}

// SAFETY: The methods that take `&self` only read the mapping's table, which nobody changes while
// the attachment is mapped.
unsafe impl Sync for Mapping<'_> {}

impl<'a> Mapping<'a> {
    /// Returns the attachment that is mapped.
    pub fn attachment(&self) -> &Attachment<'a> {
        &self.attach
    }

    /// Returns the direction of the mapping.
    pub fn direction(&self) -> DataDirection {
        self.dir
    }

    /// Unmaps the attachment and returns it.
    pub fn unmap(self) -> Attachment<'a> {
        let mut this = ManuallyDrop::new(self);
        this.do_unmap();

        // SAFETY: `this` is never used again (it is in a `ManuallyDrop`, so its destructor doesn't
        // run), hence taking `attach` out of it happens exactly once.
        unsafe { ManuallyDrop::take(&mut this.attach) }
    }

    /// Unmaps the attachment.
    fn do_unmap(&mut self) {
        // SAFETY: By the type invariants `self.sgt` is the mapping of `self.attach` in the
        // direction `self.dir`; callers make sure it is not used after this.
        unsafe {
            bindings::dma_buf_unmap_attachment_unlocked(
                self.attach.attach.as_ptr(),
                self.sgt.as_ptr(),
                self.dir.into(),
            )
        };
    }
}

impl Deref for Mapping<'_> {
    type Target = SGTable;

    fn deref(&self) -> &SGTable {
        // SAFETY: By the type invariants `self.sgt` is a valid `struct sg_table` while `self`
        // exists, and the exporter doesn't change it while the attachment is mapped.
        unsafe { SGTable::from_raw(self.sgt.as_ptr()) }
    }
}

impl Drop for Mapping<'_> {
    fn drop(&mut self) {
        self.do_unmap();

        // SAFETY: `self.attach` is not used after this; it has just been unmapped, as its drop
        // requires.
        unsafe { ManuallyDrop::drop(&mut self.attach) };
    }
}

#[cfg(CONFIG_RUST_DMA_BUF_KUNIT_TEST)]
#[macros::kunit_tests(rust_kernel_dma_buf)]
mod tests {
    use super::*;
    use crate::faux;
    use core::cell::Cell;

    /// The DMA address the test exporter maps its buffer to.
    const DMA_ADDRESS: u64 = 0x1234_0000;

    /// The size of the test exporter's buffer.
    const SIZE: usize = 4096;

    /// The state of a test exporter, the private data of its dma-buf.
    ///
    /// The exporter doesn't touch memory: its mapping is a made-up DMA address. The callbacks run
    /// in the test's thread, or in the thread of delayed `fput()`s while the test waits for them
    /// in `flush_delayed_fput()`, so `Cell`s are enough.
    struct Exporter {
        /// Whether `attach` refuses the attachment.
        refuse_attach: bool,
        /// Whether `map_dma_buf` fails.
        fail_map: bool,
        /// The number of attachments.
        attached: Cell<i32>,
        /// The number of mappings.
        mapped: Cell<i32>,
        /// Whether the buffer has been released.
        released: Cell<bool>,
        /// The scatterlist of the mapping.
        sg: Opaque<bindings::scatterlist>,
        /// The table of the mapping.
        table: Opaque<bindings::sg_table>,
    }

    impl Exporter {
        /// Creates the state of an exporter.
        fn new(refuse_attach: bool, fail_map: bool) -> Result<KBox<Self>> {
            Ok(KBox::new(
                Self {
                    refuse_attach,
                    fail_map,
                    attached: Cell::new(0),
                    mapped: Cell::new(0),
                    released: Cell::new(false),
                    sg: Opaque::zeroed(),
                    table: Opaque::zeroed(),
                },
                GFP_KERNEL,
            )?)
        }

        /// Returns the exporter of `buf`.
        ///
        /// # Safety
        ///
        /// `buf` must be a valid dma-buf exported by [`export`].
        unsafe fn of<'a>(buf: *mut bindings::dma_buf) -> &'a Self {
            // SAFETY: By the safety requirements the private data of `buf` is an `Exporter`,
            // which outlives the buffer.
            unsafe { &*(*buf).priv_.cast::<Self>() }
        }
    }

    /// Counts an attachment, or refuses it.
    ///
    /// # Safety
    ///
    /// `buf` must be a dma-buf of the test exporter.
    unsafe extern "C" fn attach_callback(
        buf: *mut bindings::dma_buf,
        _attach: *mut bindings::dma_buf_attachment,
    ) -> c_int {
        // SAFETY: `buf` is a dma-buf of the test exporter.
        let exp = unsafe { Exporter::of(buf) };
        if exp.refuse_attach {
            return EPERM.to_errno();
        }
        exp.attached.set(exp.attached.get() + 1);
        0
    }

    /// Counts a detachment.
    ///
    /// # Safety
    ///
    /// `buf` must be a dma-buf of the test exporter.
    unsafe extern "C" fn detach_callback(
        buf: *mut bindings::dma_buf,
        _attach: *mut bindings::dma_buf_attachment,
    ) {
        // SAFETY: `buf` is a dma-buf of the test exporter.
        let exp = unsafe { Exporter::of(buf) };
        exp.attached.set(exp.attached.get() - 1);
    }

    /// Returns a table with one entry at [`DMA_ADDRESS`], or fails.
    ///
    /// # Safety
    ///
    /// `attach` must be an unmapped attachment of a dma-buf of the test exporter.
    unsafe extern "C" fn map_callback(
        attach: *mut bindings::dma_buf_attachment,
        _dir: bindings::dma_data_direction,
    ) -> *mut bindings::sg_table {
        // SAFETY: `attach` is a valid attachment of a dma-buf of the test exporter.
        let exp = unsafe { Exporter::of((*attach).dmabuf) };
        if exp.fail_map {
            return ENOMEM.to_ptr();
        }
        let sg = exp.sg.get();
        let table = exp.table.get();
        // SAFETY: `sg` and `table` are valid for writes and not in use: the attachment isn't
        // mapped.
        unsafe {
            bindings::sg_init_table(sg, 1);
            (*sg).length = SIZE as u32;
            (*sg).dma_address = DMA_ADDRESS;
            set_dma_len(sg, SIZE as u32);
            (*table).sgl = sg;
            (*table).nents = 1;
            (*table).orig_nents = 1;
        }
        exp.mapped.set(exp.mapped.get() + 1);
        table
    }

    /// Sets the DMA length of `sg`.
    ///
    /// # Safety
    ///
    /// `sg` must be valid for writes.
    #[cfg(CONFIG_NEED_SG_DMA_LENGTH)]
    unsafe fn set_dma_len(sg: *mut bindings::scatterlist, len: u32) {
        // SAFETY: By the safety requirements `sg` is valid for writes.
        unsafe { (*sg).dma_length = len };
    }

    /// Sets the DMA length of `sg`, which is its length without a separate DMA length.
    ///
    /// # Safety
    ///
    /// `sg` must be valid for writes.
    #[cfg(not(CONFIG_NEED_SG_DMA_LENGTH))]
    unsafe fn set_dma_len(sg: *mut bindings::scatterlist, len: u32) {
        // SAFETY: By the safety requirements `sg` is valid for writes.
        unsafe { (*sg).length = len };
    }

    /// Counts an unmapping.
    ///
    /// # Safety
    ///
    /// `attach` must be a mapped attachment of a dma-buf of the test exporter.
    unsafe extern "C" fn unmap_callback(
        attach: *mut bindings::dma_buf_attachment,
        _table: *mut bindings::sg_table,
        _dir: bindings::dma_data_direction,
    ) {
        // SAFETY: `attach` is a valid attachment of a dma-buf of the test exporter.
        let exp = unsafe { Exporter::of((*attach).dmabuf) };
        exp.mapped.set(exp.mapped.get() - 1);
    }

    /// Records the release of the buffer.
    ///
    /// # Safety
    ///
    /// `buf` must be a dma-buf of the test exporter.
    unsafe extern "C" fn release_callback(buf: *mut bindings::dma_buf) {
        // SAFETY: `buf` is a dma-buf of the test exporter.
        let exp = unsafe { Exporter::of(buf) };
        exp.released.set(true);
    }

    impl Drop for Exporter {
        fn drop(&mut self) {
            // A buffer whose last reference has been put may not have been released yet.
            flush_releases();
        }
    }

    /// The operations of the test exporter.
    const OPS: bindings::dma_buf_ops = bindings::dma_buf_ops {
        attach: Some(attach_callback),
        detach: Some(detach_callback),
        map_dma_buf: Some(map_callback),
        unmap_dma_buf: Some(unmap_callback),
        release: Some(release_callback),
        ..pin_init::zeroed()
    };

    /// Exports a dma-buf of [`SIZE`] bytes whose private data is `exp`.
    fn export(exp: &Exporter) -> Result<ARef<DmaBuf>> {
        let mut info: bindings::dma_buf_export_info = pin_init::zeroed();
        info.exp_name = c"rust_kernel_dma_buf".as_char_ptr();
        info.ops = &OPS;
        info.size = SIZE;
        // CAST: `O_RDWR` fits in a `c_int`.
        info.flags = bindings::O_RDWR as c_int;
        info.priv_ = core::ptr::from_ref(exp).cast_mut().cast();

        // SAFETY: `info` is a valid export description.
        let ptr = from_err_ptr(unsafe { bindings::dma_buf_export(&info) })?;

        // SAFETY: `dma_buf_export()` returns a new dma-buf whose reference the caller owns.
        Ok(unsafe { DmaBuf::from_raw_owned(ptr) })
    }

    /// Waits for the releases of files whose last reference this thread put.
    fn flush_releases() {
        // SAFETY: Called in process context, holding no locks.
        unsafe { bindings::flush_delayed_fput() };
    }

    /// A file descriptor that isn't open is refused with `EBADF`.
    #[test]
    fn from_fd_bad_fd() {
        assert_eq!(DmaBuf::from_fd(-1).err(), Some(EBADF));
        assert_eq!(DmaBuf::from_fd(i32::MAX).err(), Some(EBADF));
    }

    /// The buffer stays until its attachment is gone, the attachment until its mapping is gone.
    #[test]
    fn lifecycle() -> Result {
        let faux = faux::Registration::new(c"rust_kernel_dma_buf", None)?;
        let dev: &Device<Bound> = faux.as_ref().as_ref();
        let exp = Exporter::new(false, false)?;

        let buf = export(&exp)?;
        assert_eq!(buf.size(), SIZE);
        let attach = buf.attach(dev)?;
        assert_eq!(exp.attached.get(), 1);

        // The attachment holds the buffer.
        drop(buf);
        flush_releases();
        assert!(!exp.released.get());
        assert_eq!(attach.dma_buf().size(), SIZE);

        let mapping = attach.map(DataDirection::ToDevice)?;
        assert_eq!(exp.mapped.get(), 1);
        assert_eq!(mapping.direction(), DataDirection::ToDevice);
        let mut entries = 0;
        for entry in mapping.iter() {
            assert_eq!(entry.dma_address(), DMA_ADDRESS);
            assert_eq!(entry.dma_len(), SIZE as u64);
            entries += 1;
        }
        assert_eq!(entries, 1);

        // Unmapping gives the attachment back, which can be mapped again.
        let attach = mapping.unmap();
        assert_eq!(exp.mapped.get(), 0);
        assert_eq!(exp.attached.get(), 1);
        let mapping = attach.map(DataDirection::Bidirectional)?;
        assert_eq!(exp.mapped.get(), 1);

        // Dropping the mapping unmaps, detaches and puts the last reference.
        drop(mapping);
        assert_eq!(exp.mapped.get(), 0);
        assert_eq!(exp.attached.get(), 0);
        flush_releases();
        assert!(exp.released.get());
        Ok(())
    }

    /// An attachment the exporter refuses and a mapping that fails return the exporter's error.
    #[test]
    fn exporter_errors() -> Result {
        let faux = faux::Registration::new(c"rust_kernel_dma_buf", None)?;
        let dev: &Device<Bound> = faux.as_ref().as_ref();

        let exp = Exporter::new(true, false)?;
        let buf = export(&exp)?;
        assert_eq!(buf.attach(dev).err(), Some(EPERM));
        drop(buf);
        flush_releases();
        assert!(exp.released.get());

        let exp = Exporter::new(false, true)?;
        let buf = export(&exp)?;
        let attach = buf.attach(dev)?;
        assert_eq!(exp.attached.get(), 1);
        // A failed mapping detaches.
        assert_eq!(attach.map(DataDirection::ToDevice).err(), Some(ENOMEM));
        assert_eq!(exp.attached.get(), 0);
        drop(buf);
        flush_releases();
        assert!(exp.released.get());
        Ok(())
    }
}
