// SPDX-License-Identifier: GPL-2.0

//! Virtqueues of a virtio device.
//!
//! A driver sets up the virtqueues of its device in probe with [`Virtqueues::new`], which calls
//! `virtio_find_vqs()` with one name per queue and the callbacks of a [`Handler`]. Buffers are
//! added to a queue as a *request*: a [`KBox<R>`](KBox) whose memory holds the buffers the device
//! reads and writes, described by an [`Sgs`] list. The request is the token the virtio core
//! keeps with the buffers; it comes back to the driver, with the length the device wrote, from
//! [`Virtqueue::get_buf`] once the device has used the buffers.
//!
//! # Lifetime
//!
//! The queues, the handler and the mapping from the device to them are owned by a
//! reference-counted set, of which the driver holds a [`Virtqueues`] handle and the device binding
//! holds a reference of its own. The callbacks can run from the moment `virtio_find_vqs()` returns
//! until the device is reset; the binding's reference keeps the set alive over all of that time.
//! When the driver is unbound (or its probe fails), the bus abstraction resets the device, waits
//! for running callbacks, returns the requests still in the queues to the driver by dropping them,
//! deletes the virtqueues and drops the binding's reference. From then on, operations on the
//! queues fail with [`ENODEV`], so a [`Virtqueues`] handle that outlives the binding is harmless.
//!
//! # Locking
//!
//! Operations on one virtqueue must be serialized; each [`Queue`] holds its [`Virtqueue`] in a
//! [`SpinLockIrq`], since the callbacks run in interrupt context.
//!
//! C header: [`include/linux/virtio.h`](srctree/include/linux/virtio.h)
//!
//! C header: [`include/linux/virtio_config.h`](srctree/include/linux/virtio_config.h)

use super::Device;
use crate::{
    alloc::Flags,
    bindings,
    device,
    error::to_result,
    prelude::*,
    scatterlist::SGTable,
    str::CString,
    sync::{
        aref::ARef,
        new_spinlock_irq,
        Arc,
        SpinLockIrq,
        SpinLockIrqGuard, //
    },
    transmute::{
        AsBytes,
        FromBytes, //
    }, //
};
use core::{
    marker::PhantomData,
    mem::{
        size_of,
        size_of_val, //
    },
    ptr::{
        self,
        NonNull, //
    }, //
};

/// The maximum number of buffers in one request.
pub const MAX_SGS: usize = 8;

/// The callbacks of a set of virtqueues.
pub trait Handler: Send + Sync + 'static {
    /// The type of the requests added to the queues.
    ///
    /// A request owns the memory of the buffers it describes; it is handed to the virtio core as
    /// the token of its buffers and comes back from [`Virtqueue::get_buf`].
    type Request: Send + 'static;

    /// Called when the device has used buffers of `queue`.
    ///
    /// Runs in interrupt context (hard IRQ for virtio-pci) and must not sleep. It may run on
    /// another CPU at the same time as process-context operations on the queues, and at any time
    /// from [`Virtqueues::new`] until the device is reset. See [`Queue::drain`] for the usual
    /// body.
    fn callback(&self, queue: &Queue<Self::Request>);
}

/// A list of device-readable buffers followed by device-writable buffers.
///
/// It is filled by the closure given to [`Virtqueue::add_sgs`], from the request that is added.
/// Every buffer must be DMA-safe and owned by the request, so that it stays alive and the CPU
/// does not touch it until the device has used it: a buffer is either a part of the request's own
/// allocation ([`Sgs::readable`], [`Sgs::writable`]) or the contents of a [`KVec`] the request
/// owns ([`Sgs::readable_vec`], [`Sgs::writable_vec`]); both are `kmalloc()` memory. A dma-buf
/// mapped for the device, such as restricted memory the CPU can't access, is added by its pages
/// with [`Sgs::readable_mapped`].
///
/// # Invariants
///
/// - For each `i < readable + writable`, either `chains[i]` is null and `entries[i]` is
///   initialized, describing one buffer that lives for `'a`: `kmalloc()` memory in the direct map
///   (`sg_init_one()`), or pages of a dma-buf mapped for the device ([`Sgs::readable_mapped`]);
///   or `chains[i]` is a scatterlist that stays valid for the request's time in the queue
///   ([`Sgs::readable_sg`], [`Sgs::writable_sg`]). The first `readable` buffers are
///   device-readable, the others device-writable.
/// - `readable + writable <= MAX_SGS`.
pub struct Sgs<'a> {
    /// The start of the request's allocation.
    base: usize,
    /// The end of the request's allocation.
    end: usize,
    /// The scatterlist entries, one list of one entry per buffer.
    entries: [bindings::scatterlist; MAX_SGS],
    /// Scatterlists of the caller used instead of the entry at the same index, or null.
    chains: [*mut bindings::scatterlist; MAX_SGS],
    /// The number of device-readable buffers.
    readable: usize,
    /// The number of device-writable buffers.
    writable: usize,
    /// Whether the virtio core maps buffers with the DMA API for this virtqueue.
    map_api: bool,
    /// The buffers are borrowed for `'a`; device-writable ones mutably.
    _p: PhantomData<&'a mut [u8]>,
}

impl<'a> Sgs<'a> {
    /// Creates an empty list for buffers within the allocation `base..base + size`.
    fn new(base: usize, size: usize, map_api: bool) -> Self {
        // INVARIANT: The list is empty.
        Self {
            base,
            end: base.saturating_add(size),
            entries: pin_init::zeroed(),
            chains: [ptr::null_mut(); MAX_SGS],
            readable: 0,
            writable: 0,
            map_api,
            _p: PhantomData,
        }
    }

    /// Returns the next free entry, for a buffer of `len` bytes.
    fn next_entry(
        &mut self,
        len: usize,
        writable: bool,
    ) -> Result<(&mut bindings::scatterlist, u32)> {
        let len_u32 = u32::try_from(len).map_err(|_| EINVAL)?;
        if len == 0 || (!writable && self.writable != 0) {
            return Err(EINVAL);
        }
        let index = self.readable + self.writable;
        Ok((self.entries.get_mut(index).ok_or(E2BIG)?, len_u32))
    }

    /// Appends `len` bytes at `offset` of a dma-buf mapped for the device's DMA device as a
    /// device-readable buffer, for instance a key in restricted memory.
    ///
    /// The entry refers to the pages of the mapping's scatterlist: no CPU mapping of the buffer
    /// is made or used. The virtio core gives the device the physical address of the pages when
    /// it does not use the DMA API, which must be the DMA address of the mapping (no IOMMU
    /// translation between them). When it does use the DMA API it would map the pages again,
    /// possibly through a bounce buffer the CPU copies to, so the buffer is refused then.
    ///
    /// # Errors
    ///
    /// [`EOPNOTSUPP`] if the virtqueue uses the DMA API or the DMA address of the range is not
    /// its physical address; [`EINVAL`] if the range is empty, not within one entry of `sgt`,
    /// or follows a device-writable buffer; [`E2BIG`] if the list is full.
    ///
    /// # Safety
    ///
    /// `sgt` must be the table of a dma-buf mapping for the DMA device of this virtqueue's device
    /// that stays mapped until the request is returned by [`Virtqueue::get_buf`] or dropped by the
    /// queue.
    pub unsafe fn readable_mapped(&mut self, sgt: &SGTable, offset: usize, len: usize) -> Result {
        if self.map_api {
            return Err(EOPNOTSUPP);
        }
        let end = offset.checked_add(len).ok_or(EINVAL)?;
        let mut start = 0usize;
        let mut found = None;
        for entry in sgt.iter() {
            let elen = usize::try_from(entry.dma_len()).map_err(|_| EINVAL)?;
            if offset >= start && end <= start + elen {
                found = Some((entry, offset - start));
                break;
            }
            start += elen;
        }
        let (entry, within) = found.ok_or(EINVAL)?;
        let src = ptr::from_ref(entry)
            .cast::<bindings::scatterlist>()
            .cast_mut();
        let (sg, len_u32) = self.next_entry(len, false)?;

        // SAFETY: `SGEntry` is a transparent wrapper of `struct scatterlist`, so `src` is a valid
        // entry of the mapped table; `sg` is a valid entry of ours. The new entry refers to the
        // same page as `src`, at `within` bytes further; `within + len` is within `src`.
        let phys = unsafe {
            bindings::sg_init_table(sg, 1);
            let page_off = (*src).offset as usize + within;
            bindings::sg_set_page(sg, bindings::sg_page(src), len_u32, page_off as u32);
            bindings::sg_phys(sg)
        };
        if phys != entry.dma_address() + within as bindings::dma_addr_t {
            // Undo the entry: it is not counted, so it is not used.
            return Err(EOPNOTSUPP);
        }

        // INVARIANT: The entry describes device-readable memory that stays valid (mapped) for the
        // request's time in the queue, by the safety requirements; `index < MAX_SGS`.
        self.readable += 1;
        Ok(())
    }

    /// Appends the list `sg` of a crypto request, as one device-readable buffer of its `len()`
    /// bytes: the source of the request. All its entries are given to the device, which must be
    /// told how many bytes to read by the request itself.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] if `sg` holds fewer than its `len()` bytes, or a device-writable buffer was
    /// added before; [`E2BIG`] if the list is full.
    ///
    /// # Safety
    ///
    /// The request `sg` was taken from must not be completed, and its memory must stay
    /// allocated, until the virtqueue request is returned by [`Virtqueue::get_buf`] or dropped by
    /// the queue.
    #[cfg(CONFIG_CRYPTO_SKCIPHER = "y")]
    pub unsafe fn readable_sg(&mut self, sg: &crate::crypto::RequestSg) -> Result {
        // SAFETY: By the safety requirements and the type invariants of `RequestSg`, `sg` is a
        // valid list of kernel memory that stays valid for the request's time in the queue.
        unsafe { self.push_sg(sg.as_raw(), sg.len(), false) }
    }

    /// Appends the list `sg` of a crypto request, as one device-writable buffer of its `len()`
    /// bytes: the destination of the request.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] if `sg` holds fewer than its `len()` bytes; [`E2BIG`] if the list is full.
    ///
    /// # Safety
    ///
    /// As for [`Sgs::readable_sg`]; the crypto API guarantees that nothing else accesses the
    /// memory until the crypto request is completed.
    #[cfg(CONFIG_CRYPTO_SKCIPHER = "y")]
    pub unsafe fn writable_sg(&mut self, sg: &crate::crypto::RequestSg) -> Result {
        // SAFETY: As for `readable_sg()`; nothing else accesses the memory while the crypto
        // request is in flight.
        unsafe { self.push_sg(sg.as_raw(), sg.len(), true) }
    }

    /// Appends the scatterlist `sg` of at least `len` bytes.
    ///
    /// # Safety
    ///
    /// As for [`Sgs::writable_sg`] if `writable`, else as for [`Sgs::readable_sg`].
    #[cfg(CONFIG_CRYPTO_SKCIPHER = "y")]
    unsafe fn push_sg(
        &mut self,
        sg: *mut bindings::scatterlist,
        len: usize,
        writable: bool,
    ) -> Result {
        let len_u64 = u64::try_from(len).map_err(|_| EINVAL)?;
        // SAFETY: `sg` is a valid scatterlist by the safety requirements.
        if len == 0 || unsafe { bindings::sg_nents_for_len(sg, len_u64) } < 0 {
            return Err(EINVAL);
        }
        self.next_entry(len, writable)?;
        let index = self.readable + self.writable;
        // INVARIANT: `next_entry()` checked that there is a free index, and the order of the
        // readable and writable buffers; `sg` stays valid for the request's time in the queue by
        // the safety requirements.
        self.chains[index] = sg;
        if writable {
            self.writable += 1;
        } else {
            self.readable += 1;
        }
        Ok(())
    }

    /// Returns whether `buf..buf + len` lies within the request's allocation.
    fn within(&self, buf: *const u8, len: usize) -> bool {
        let start = buf.addr();

        start >= self.base && start.checked_add(len).is_some_and(|end| end <= self.end)
    }

    /// Appends the buffer `buf..buf + len`.
    ///
    /// # Safety
    ///
    /// `buf..buf + len` must be `kmalloc()` memory that stays valid for `'a`; if `writable`, it
    /// must be memory that nothing else accesses during `'a` (a `&'a mut` borrow).
    unsafe fn push(&mut self, buf: *const u8, len: usize, writable: bool) -> Result {
        let (sg, len_u32) = self.next_entry(len, writable)?;

        // SAFETY: `sg` is a valid `struct scatterlist`, and by the safety requirements `buf` is
        // `len` bytes of `kmalloc()` memory, which is in the direct map as `sg_set_buf()`
        // requires.
        unsafe { bindings::sg_init_one(sg, buf.cast(), len_u32) };

        // INVARIANT: The next entry describes the buffer, which lives for `'a`; readable buffers
        // come first since none is added after a writable one. There was a free entry.
        if writable {
            self.writable += 1;
        } else {
            self.readable += 1;
        }

        Ok(())
    }

    /// Appends a device-readable buffer that is a part of the request.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] if `buf` is empty, not within the request's allocation, or follows a
    /// device-writable buffer; [`E2BIG`] if the list is full.
    pub fn readable<T: AsBytes + ?Sized>(&mut self, buf: &'a T) -> Result {
        let ptr = ptr::from_ref(buf).cast::<u8>();
        let len = size_of_val(buf);
        if !self.within(ptr, len) {
            return Err(EINVAL);
        }

        // SAFETY: `buf` lies within the request's allocation, which is `kmalloc()` memory, and is
        // borrowed for `'a`.
        unsafe { self.push(ptr, len, false) }
    }

    /// Appends a device-writable buffer that is a part of the request.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] if `buf` is empty or not within the request's allocation; [`E2BIG`] if the
    /// list is full.
    pub fn writable<T: AsBytes + FromBytes + ?Sized>(&mut self, buf: &'a mut T) -> Result {
        let ptr = ptr::from_mut(buf).cast::<u8>().cast_const();
        let len = size_of_val(buf);
        if !self.within(ptr, len) {
            return Err(EINVAL);
        }

        // SAFETY: `buf` lies within the request's allocation, which is `kmalloc()` memory, and is
        // mutably borrowed for `'a`.
        unsafe { self.push(ptr, len, true) }
    }

    /// Appends the contents of `buf` as a device-readable buffer.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] if `buf` is empty or follows a device-writable buffer; [`E2BIG`] if the list
    /// is full.
    pub fn readable_vec(&mut self, buf: &'a KVec<u8>) -> Result {
        let buf = buf.as_slice();

        // SAFETY: The contents of a `KVec` are `kmalloc()` memory, borrowed for `'a`.
        unsafe { self.push(buf.as_ptr(), buf.len(), false) }
    }

    /// Appends the contents of `buf` as a device-writable buffer.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] if `buf` is empty; [`E2BIG`] if the list is full.
    pub fn writable_vec(&mut self, buf: &'a mut KVec<u8>) -> Result {
        let buf = buf.as_mut_slice();

        // SAFETY: The contents of a `KVec` are `kmalloc()` memory, mutably borrowed for `'a`.
        unsafe { self.push(buf.as_ptr(), buf.len(), true) }
    }
}

/// The error of [`Virtqueue::add_sgs`]: the error and the request, which was not added.
pub struct AddError<R> {
    /// Why the request was not added; [`ENOSPC`] if the queue is full.
    pub error: Error,
    /// The request.
    pub request: KBox<R>,
}

impl<R> From<AddError<R>> for Error {
    fn from(e: AddError<R>) -> Self {
        e.error
    }
}

/// A virtqueue, as seen while holding its lock in a [`Queue`].
///
/// # Invariants
///
/// If `raw` is `Some`, it is a virtqueue of a bound device that has not been deleted, and the
/// token of every buffer in it is a pointer obtained from [`KBox::into_raw`] on a `KBox<R>`.
pub struct Virtqueue<R> {
    /// The virtqueue, or `None` once the device has been unbound.
    raw: Option<NonNull<bindings::virtqueue>>,
    /// The queue owns the requests in it.
    _p: PhantomData<KBox<R>>,
}

// SAFETY: The virtqueue can be used from any thread; the requests it owns are `Send`.
unsafe impl<R: Send> Send for Virtqueue<R> {}

impl<R: Send + 'static> Virtqueue<R> {
    /// Returns the raw virtqueue.
    fn raw(&self) -> Result<*mut bindings::virtqueue> {
        self.raw.map(NonNull::as_ptr).ok_or(ENODEV)
    }

    /// Adds the buffers of `request` to the queue.
    ///
    /// `describe` lists the buffers of the request in an [`Sgs`]: the device-readable ones first,
    /// then the device-writable ones. The request then belongs to the queue until
    /// [`Virtqueue::get_buf`] returns it. `gfp` is used if the virtio core allocates indirect
    /// descriptors; called under the queue's spinlock, it must be atomic.
    ///
    /// The device is not told about the new buffers until [`Virtqueue::kick`].
    ///
    /// # Errors
    ///
    /// Returns the request with [`ENOSPC`] if the queue is full, [`ENODEV`] if the device has
    /// been unbound, [`EINVAL`] if `describe` lists no buffer, or the error of `describe` or
    /// [`Sgs`].
    pub fn add_sgs<F>(
        &mut self,
        request: KBox<R>,
        gfp: Flags,
        describe: F,
    ) -> Result<(), AddError<R>>
    where
        F: for<'a> FnOnce(&'a mut R, &mut Sgs<'a>) -> Result,
    {
        let vq = match self.raw() {
            Ok(vq) => vq,
            Err(error) => return Err(AddError { error, request }),
        };

        let token = KBox::into_raw(request);

        // SAFETY: `token` comes from `KBox::into_raw`, so it is valid and unique. The borrow ends
        // before the request is turned back into a `KBox` or given to the queue.
        let req = unsafe { &mut *token };
        // SAFETY: `vq` is a live virtqueue.
        let map_api = unsafe { !bindings::virtqueue_dma_dev(vq).is_null() };
        let mut sgs = Sgs::new(token.addr(), size_of::<R>(), map_api);

        let ret = describe(req, &mut sgs).and_then(|()| {
            // The virtio core does not accept a request without buffers.
            if sgs.readable + sgs.writable == 0 {
                return Err(EINVAL);
            }

            let mut list = [ptr::null_mut::<bindings::scatterlist>(); MAX_SGS];
            for ((slot, sg), chain) in list
                .iter_mut()
                .zip(sgs.entries.iter_mut())
                .zip(sgs.chains.iter())
            {
                *slot = if chain.is_null() {
                    ptr::from_mut(sg)
                } else {
                    *chain
                };
            }

            // CAST: By the type invariants of `Sgs`, both counts are at most `MAX_SGS`.
            let (out, inp) = (sgs.readable as u32, sgs.writable as u32);

            // SAFETY:
            // - `vq` is a live virtqueue by the type invariants.
            // - `list[..out + inp]` point to initialized one-entry scatterlists or to the
            //   caller's scatterlists (type invariants of `Sgs`), readable ones first; their
            //   buffers belong to the request (or are `'static`), which stays allocated until
            //   `get_buf()` or `detach_unused_buf()` returns `token`, and nothing accesses the
            //   request until then, or stay valid until then by the safety requirements of
            //   `Sgs::readable_sg()` and `Sgs::writable_sg()`.
            // - `token` is not null.
            to_result(unsafe {
                bindings::virtqueue_add_sgs(
                    vq,
                    list.as_mut_ptr(),
                    out,
                    inp,
                    token.cast(),
                    gfp.as_raw(),
                )
            })
        });

        match ret {
            // INVARIANT: The token of the new buffers comes from `KBox::into_raw`.
            Ok(()) => Ok(()),
            Err(error) => Err(AddError {
                error,
                // SAFETY: The request was not added, so `token` is still owned here.
                request: unsafe { KBox::from_raw(token) },
            }),
        }
    }

    /// Returns the next request whose buffers the device has used, with the number of bytes the
    /// device wrote into its device-writable buffers (as the device reports it: not trusted).
    pub fn get_buf(&mut self) -> Option<(KBox<R>, u32)> {
        let vq = self.raw().ok()?;
        let mut len = 0u32;

        // SAFETY: `vq` is a live virtqueue by the type invariants, and the lock of the queue is
        // held.
        let token = unsafe { bindings::virtqueue_get_buf(vq, &mut len) };
        if token.is_null() {
            return None;
        }

        // SAFETY: By the type invariants the token comes from `KBox::<R>::into_raw`; the virtio
        // core returns each token once, after the device has used the buffers.
        Some((unsafe { KBox::from_raw(token.cast::<R>()) }, len))
    }

    /// Tells the device about the buffers added since the last kick.
    ///
    /// Returns `false` if the device is broken or gone.
    pub fn kick(&mut self) -> bool {
        match self.raw() {
            // SAFETY: `vq` is a live virtqueue by the type invariants.
            Ok(vq) => unsafe { bindings::virtqueue_kick(vq) },
            Err(_) => false,
        }
    }

    /// Returns the number of free descriptors of the queue, 0 once the device has been unbound.
    ///
    /// A request of `n` buffers fits if at least `n` descriptors are free.
    pub fn num_free(&self) -> u32 {
        match self.raw() {
            // SAFETY: `vq` is a live virtqueue by the type invariants; `num_free` is only changed
            // by the virtio core under the queue's lock, which `&self` holds.
            Ok(vq) => unsafe { (*vq).num_free },
            Err(_) => 0,
        }
    }

    /// Disables the callback of the queue (a hint to the device).
    pub fn disable_cb(&mut self) {
        if let Ok(vq) = self.raw() {
            // SAFETY: `vq` is a live virtqueue by the type invariants.
            unsafe { bindings::virtqueue_disable_cb(vq) };
        }
    }

    /// Enables the callback of the queue.
    ///
    /// Returns `false` if there are used buffers pending: the caller should process them and try
    /// again.
    pub fn enable_cb(&mut self) -> bool {
        match self.raw() {
            // SAFETY: `vq` is a live virtqueue by the type invariants.
            Ok(vq) => unsafe { bindings::virtqueue_enable_cb(vq) },
            Err(_) => true,
        }
    }

    /// Returns the number of descriptors of the queue, or zero if the device has been unbound.
    pub fn vring_size(&self) -> u32 {
        match self.raw() {
            // SAFETY: `vq` is a live virtqueue by the type invariants.
            Ok(vq) => unsafe { bindings::virtqueue_get_vring_size(vq) },
            Err(_) => 0,
        }
    }
}

/// One virtqueue of a [`Virtqueues`] set, with its lock.
#[pin_data]
pub struct Queue<R: Send + 'static> {
    /// The position of the queue in the set.
    index: usize,
    /// The virtqueue.
    #[pin]
    vq: SpinLockIrq<Virtqueue<R>>,
}

impl<R: Send + 'static> Queue<R> {
    /// Creates a queue that is not connected to a virtqueue yet.
    fn new(index: usize) -> impl PinInit<Self> {
        pin_init!(Self {
            index,
            // INVARIANT: There is no virtqueue yet.
            vq <- new_spinlock_irq!(
                Virtqueue {
                    raw: None,
                    _p: PhantomData,
                },
                "virtio::Queue::vq"
            ),
        })
    }

    /// Returns the position of the queue in its set, as given to `virtio_find_vqs()`.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Locks the queue.
    pub fn lock(&self) -> SpinLockIrqGuard<'_, Virtqueue<R>> {
        self.vq.lock()
    }

    /// Takes every used request off the queue and passes it to `f` with its used length.
    ///
    /// This is the loop of a virtqueue callback: callbacks are disabled while the queue is
    /// emptied and enabled again once it stays empty. `f` runs without the lock held.
    pub fn drain(&self, mut f: impl FnMut(KBox<R>, u32)) {
        let mut vq = self.lock();
        loop {
            vq.disable_cb();
            while let Some((req, len)) = vq.get_buf() {
                drop(vq);
                f(req, len);
                vq = self.lock();
            }
            if vq.enable_cb() {
                break;
            }
        }
    }
}

/// Tears down the virtqueues of a device; the first field of every [`Shared`].
///
/// The pointer in `vdev->priv` points to it, so the bus abstraction can tear the queues down
/// without knowing the driver's [`Handler`].
#[repr(C)]
struct Header {
    /// Tears down the set this header belongs to, see [`teardown`].
    teardown: unsafe fn(*const Header),
}

/// The state shared by a [`Virtqueues`] handle, the device binding and the callbacks.
#[repr(C)]
#[pin_data]
struct Shared<H: Handler> {
    /// Must be the first field, see [`Header`].
    header: Header,
    /// The device.
    vdev: ARef<Device>,
    /// The names of the queues; the virtio core keeps pointers to them.
    names: KVec<CString>,
    /// The queues.
    queues: KVec<Pin<KBox<Queue<H::Request>>>>,
    /// The driver's callbacks and the data they use.
    #[pin]
    handler: H,
}

/// The virtqueues of a virtio device and the [`Handler`] of their callbacks.
///
/// See the [module documentation](self) for the lifetime and locking rules.
pub struct Virtqueues<H: Handler> {
    /// The set; the device binding holds another reference while the queues exist.
    shared: Arc<Shared<H>>,
}

impl<H: Handler> Virtqueues<H> {
    /// Sets up one virtqueue per name with `virtio_find_vqs()`, and `handler` for their
    /// callbacks.
    ///
    /// Queue `i` is the device's virtqueue `i` and is named `names[i]`. The queues can be used
    /// in probe after [`Device::ready`]; the virtio core marks the device ready after probe
    /// otherwise.
    ///
    /// # Errors
    ///
    /// [`EBUSY`] if the device already has virtqueues, [`EINVAL`] if `names` is empty, or the
    /// error of an allocation, of `handler` or of `virtio_find_vqs()`.
    pub fn new(
        vdev: &Device<device::Core<'_>>,
        names: KVec<CString>,
        handler: impl PinInit<H, Error>,
    ) -> Result<Self> {
        let raw_vdev = vdev.as_raw();
        let nvqs = u32::try_from(names.len())?;
        if nvqs == 0 {
            return Err(EINVAL);
        }

        // SAFETY: `raw_vdev` is valid; `priv` is only accessed by this module and, with a `Core`
        // device, the device lock serializes this with the other accesses from process context.
        if !unsafe { (*raw_vdev).priv_ }.is_null() {
            return Err(EBUSY);
        }

        let mut queues: KVec<Pin<KBox<Queue<H::Request>>>> =
            KVec::with_capacity(names.len(), GFP_KERNEL)?;
        for index in 0..names.len() {
            queues.push(
                KBox::pin_init(Queue::<H::Request>::new(index), GFP_KERNEL)?,
                GFP_KERNEL,
            )?;
        }

        let mut info = KVec::with_capacity(names.len(), GFP_KERNEL)?;
        for name in names.iter() {
            info.push(
                bindings::virtqueue_info {
                    name: name.as_char_ptr(),
                    callback: Some(callback::<H>),
                    ctx: false,
                },
                GFP_KERNEL,
            )?;
        }
        let mut vqs = KVec::from_elem(ptr::null_mut(), names.len(), GFP_KERNEL)?;
        let vdev_ref: ARef<Device> = vdev.into();

        let shared: Arc<Shared<H>> = Arc::pin_init(
            try_pin_init!(Shared {
                header: Header {
                    teardown: teardown::<H>,
                },
                vdev: vdev_ref,
                names,
                queues,
                handler <- handler,
            }? Error),
            GFP_KERNEL,
        )?;

        // The binding's reference: taken back by `teardown()` or below on failure.
        let binding = Arc::into_raw(shared.clone());

        // SAFETY: As above; callbacks, which read `priv`, start only with `virtio_find_vqs()`.
        unsafe { (*raw_vdev).priv_ = binding.cast_mut().cast() };

        // SAFETY:
        // - `raw_vdev` is a valid device in probe (a `Core` device), without virtqueues.
        // - `vqs` and `info` have `nvqs` entries; the names in `info` live in `shared`, which
        //   the binding keeps alive until the queues are deleted.
        // - `callback::<H>` finds `shared` through `priv`, set above.
        let ret = to_result(unsafe {
            bindings::virtio_find_vqs(
                raw_vdev,
                nvqs,
                vqs.as_mut_ptr(),
                info.as_mut_ptr(),
                ptr::null_mut(),
            )
        });
        if let Err(e) = ret {
            // SAFETY: There are no virtqueues, so no callback uses `priv` or `binding`, which
            // came from `Arc::into_raw` above.
            unsafe {
                (*raw_vdev).priv_ = ptr::null_mut();
                drop(Arc::from_raw(binding));
            }
            return Err(e);
        }

        for (queue, raw) in shared.queues.iter().zip(vqs.iter()) {
            // INVARIANT: `raw` is a virtqueue of the device that was just found, without buffers.
            queue.lock().raw = NonNull::new(*raw);
        }

        Ok(Self { shared })
    }

    /// Returns the number of queues.
    pub fn len(&self) -> usize {
        self.shared.queues.len()
    }

    /// Returns whether there are no queues (never: [`Virtqueues::new`] rejects that).
    pub fn is_empty(&self) -> bool {
        self.shared.queues.is_empty()
    }

    /// Returns queue `index`.
    pub fn queue(&self, index: usize) -> Option<&Queue<H::Request>> {
        self.shared.queues.get(index).map(|q| &**q)
    }

    /// Returns the handler.
    pub fn handler(&self) -> &H {
        &self.shared.handler
    }
}

/// The callback of every virtqueue of a [`Virtqueues<H>`] set.
///
/// # Safety
///
/// `vq` must be a virtqueue found by [`Virtqueues::<H>::new`]; the virtio core calls this only
/// while the virtqueue exists.
unsafe extern "C" fn callback<H: Handler>(vq: *mut bindings::virtqueue) {
    // SAFETY: `vq` is a valid virtqueue by the safety requirements, so is its device.
    let (index, shared) = unsafe { ((*vq).index, (*(*vq).vdev).priv_) };
    let shared = shared.cast_const().cast::<Shared<H>>();
    if shared.is_null() {
        return;
    }

    // SAFETY: `priv` was set to the binding's reference to a `Shared<H>` before the virtqueues
    // were found and is cleared only after they are deleted, so it is valid while `vq` exists.
    let shared = unsafe { &*shared };

    // CAST: `u32` fits in `usize`.
    if let Some(queue) = shared.queues.get(index as usize) {
        shared.handler.callback(queue);
    }
}

/// Tears down a [`Virtqueues<H>`] set: drops the requests still queued, deletes the virtqueues
/// and releases the binding's reference.
///
/// # Safety
///
/// `header` must be the value of `vdev->priv` of a device whose virtqueues were set up by
/// [`Virtqueues::<H>::new`] and which has been reset since; the caller must hold the device lock
/// (remove, or probe after it failed).
unsafe fn teardown<H: Handler>(header: *const Header) {
    // SAFETY: By the safety requirements `header` is the binding's reference, from
    // `Arc::into_raw`; `Header` is the first field of the `repr(C)` `Shared<H>`.
    let shared = unsafe { Arc::from_raw(header.cast::<Shared<H>>()) };
    let vdev = shared.vdev.as_raw();

    // SAFETY: `vdev` is a valid device. After the reset, the device sends no more interrupts;
    // this waits for the callbacks that are still running.
    unsafe { bindings::virtio_synchronize_cbs(vdev) };

    for queue in &shared.queues {
        // INVARIANT: The virtqueue is about to be deleted; later operations fail with `ENODEV`.
        let raw = queue.lock().raw.take();
        let Some(raw) = raw else { continue };

        loop {
            // SAFETY: The device is reset and no callback runs, and no other user can reach
            // `raw` any more.
            let token = unsafe { bindings::virtqueue_detach_unused_buf(raw.as_ptr()) };
            if token.is_null() {
                break;
            }

            // SAFETY: By the type invariants of `Virtqueue`, the token comes from
            // `KBox::<H::Request>::into_raw`; the device, being reset, no longer uses it.
            drop(unsafe { KBox::from_raw(token.cast::<H::Request>()) });
        }
    }

    // SAFETY: `vdev` is a valid device, reset, whose virtqueues are not used any more. The
    // configuration operations are set by the transport before the device is registered.
    unsafe {
        if let Some(del_vqs) = (*(*vdev).config).del_vqs {
            del_vqs(vdev);
        }
        (*vdev).priv_ = ptr::null_mut();
    }
}

/// Tears down the virtqueues of `vdev`, if it has any; see [`Virtqueues`].
///
/// # Safety
///
/// `vdev` must have been reset since its virtqueues were set up, if it has any, and the caller
/// must hold the device lock (remove, or probe after it failed).
pub(super) unsafe fn teardown_device(vdev: *mut bindings::virtio_device) {
    // SAFETY: `vdev` is valid by the safety requirements; `priv` is only set by
    // `Virtqueues::new`, to a `Shared<H>`, whose first field is a `Header`.
    let header = unsafe { (*vdev).priv_ }.cast_const().cast::<Header>();
    if header.is_null() {
        return;
    }

    // SAFETY: `header` is valid, see above; the device has been reset.
    unsafe { ((*header).teardown)(header) };
}

#[cfg(CONFIG_RUST_VIRTIO_KUNIT_TEST)]
#[kunit_tests(rust_kernel_virtio_virtqueue)]
mod tests {
    use super::*;

    /// A request with two buffers.
    struct Req {
        /// Device-readable.
        header: [u8; 16],
        /// Device-writable.
        status: u32,
    }

    /// Data outside any request.
    static OUTSIDE: [u8; 4] = [0; 4];

    /// Buffers must be in the request, non-empty, readable ones first, and fit in the list.
    #[test]
    fn sgs_rules() -> Result {
        let mut req = KBox::new(
            Req {
                header: [0; 16],
                status: 0,
            },
            GFP_KERNEL,
        )?;
        let base = ptr::from_ref::<Req>(&req).addr();
        let outside_vec = KVec::from_elem(0u8, 8, GFP_KERNEL)?;
        let mut vecs = KVec::with_capacity(MAX_SGS - 2, GFP_KERNEL)?;
        for _ in 0..MAX_SGS - 2 {
            vecs.push(KVec::from_elem(0u8, 8, GFP_KERNEL)?, GFP_KERNEL)?;
        }

        let req = &mut *req;
        let mut sgs = Sgs::new(base, size_of::<Req>(), false);
        assert_eq!(sgs.readable(&OUTSIDE), Err(EINVAL));
        assert_eq!(sgs.readable(&req.header[..0]), Err(EINVAL));
        assert_eq!(sgs.readable(&req.header[..8]), Ok(()));
        assert_eq!(sgs.readable(&req.header[8..]), Ok(()));
        assert_eq!(sgs.writable(&mut req.status), Ok(()));
        assert_eq!(sgs.readable_vec(&outside_vec), Err(EINVAL));
        assert_eq!((sgs.readable, sgs.writable), (2, 1));

        let mut results = KVec::with_capacity(vecs.len(), GFP_KERNEL)?;
        for vec in vecs.iter_mut() {
            results.push(sgs.writable_vec(vec), GFP_KERNEL)?;
        }
        assert_eq!(results.len(), MAX_SGS - 2);
        assert!(results[..MAX_SGS - 3].iter().all(|r| r.is_ok()));
        assert_eq!(results[MAX_SGS - 3], Err(E2BIG));

        Ok(())
    }
}
