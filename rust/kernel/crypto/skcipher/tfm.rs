// SPDX-License-Identifier: GPL-2.0

//! Transformations of skcipher algorithms, for their users.

use crate::{
    alloc::flags::GFP_KERNEL,
    bindings,
    error::{
        from_err_ptr,
        to_result, //
    },
    prelude::*,
    types::Opaque, //
};
use core::ptr::NonNull;

/// A symmetric key cipher transformation (`struct crypto_skcipher`), for users of an algorithm.
///
/// # Invariants
///
/// `self.ptr` is a transformation allocated by `crypto_alloc_skcipher()` and owned by `self`.
pub struct Tfm {
    /// The C transformation.
    pub(super) ptr: NonNull<bindings::crypto_skcipher>,
}

// SAFETY: A transformation can be used and freed from any thread.
unsafe impl Send for Tfm {}

// SAFETY: The crypto API allows concurrent requests on a transformation; `setkey`, which changes
// it, takes `&mut self`.
unsafe impl Sync for Tfm {}

impl Tfm {
    /// Allocates a transformation of the algorithm `name` (generic or driver name).
    ///
    /// `type_` and `mask` select flags of the algorithm, as for `crypto_alloc_skcipher()`.
    ///
    /// # Errors
    ///
    /// Returns [`ENOENT`] if there is no such algorithm, or another error of
    /// `crypto_alloc_skcipher()`.
    pub fn new(name: &CStr, type_: u32, mask: u32) -> Result<Self> {
        // SAFETY: `name` is a valid C string.
        let ptr = from_err_ptr(unsafe {
            bindings::crypto_alloc_skcipher(name.as_char_ptr(), type_, mask)
        })?;
        // INVARIANT: `crypto_alloc_skcipher()` returned a transformation owned by the caller.
        Ok(Self {
            ptr: NonNull::new(ptr).ok_or(ENOMEM)?,
        })
    }

    /// Returns the size of the IV in bytes.
    pub fn iv_size(&self) -> usize {
        // SAFETY: `self.ptr` is valid by the type invariants.
        let size = unsafe { bindings::crypto_skcipher_ivsize(self.ptr.as_ptr()) };
        // CAST: `usize` is at least 32 bits wide on the architectures the kernel supports.
        size as usize
    }

    /// Sets the key.
    ///
    /// # Errors
    ///
    /// Returns [`EINVAL`] if the size of `key` is not supported, or the error of the algorithm.
    pub fn setkey(&mut self, key: &[u8]) -> Result {
        let len = u32::try_from(key.len()).map_err(|_| EINVAL)?;
        // SAFETY: `self.ptr` is valid by the type invariants, `key` holds `len` bytes.
        to_result(unsafe { bindings::crypto_skcipher_setkey(self.ptr.as_ptr(), key.as_ptr(), len) })
    }

    /// Encrypts `buf` in place, and updates `iv` as the algorithm does.
    ///
    /// Waits for the completion of the request, so it must be called in a context that may
    /// sleep. The data is processed in a bounce buffer, so `buf` may be anywhere (for instance on
    /// the stack).
    ///
    /// # Errors
    ///
    /// Returns [`EINVAL`] if `iv` is not [`Tfm::iv_size`] bytes long, or the error of the
    /// algorithm.
    pub fn encrypt_buf(&self, iv: &mut [u8], buf: &mut [u8]) -> Result {
        self.crypt_buf(iv, buf, true)
    }

    /// Decrypts `buf` in place, and updates `iv` as the algorithm does.
    ///
    /// See [`Tfm::encrypt_buf`].
    pub fn decrypt_buf(&self, iv: &mut [u8], buf: &mut [u8]) -> Result {
        self.crypt_buf(iv, buf, false)
    }

    /// Encrypts (or decrypts, if `!encrypt`) `src` into `dst`, out of place, and updates `iv`
    /// as the algorithm does.
    ///
    /// As [`Tfm::encrypt_buf`], with separate source and destination lists.
    ///
    /// # Errors
    ///
    /// Returns [`EINVAL`] if `src` and `dst` differ in length or `iv` is not
    /// [`Tfm::iv_size`] bytes long, or the error of the algorithm.
    pub fn crypt_into(&self, iv: &mut [u8], src: &[u8], dst: &mut [u8], encrypt: bool) -> Result {
        if src.len() != dst.len() {
            return Err(EINVAL);
        }
        // SAFETY: Both lists hold `src.len()` bytes, the length of the request.
        unsafe { self.crypt_lists(iv, src, dst, src.len(), encrypt) }
    }

    #[cfg(CONFIG_RUST_CRYPTO_TEST_API)]
    /// Encrypts (or decrypts, if `!encrypt`) `cryptlen` bytes of `src` into `dst`, out of place,
    /// where the lists hold exactly `src.len()` and `dst.len()` bytes, which may be fewer than
    /// `cryptlen`: a request that breaks the crypto API's rules, to check that an algorithm
    /// refuses it.
    ///
    /// # Errors
    ///
    /// As [`Tfm::crypt_into`]; an algorithm registered through
    /// [`Registration`](super::Registration) refuses lists shorter than `cryptlen` with
    /// [`EINVAL`].
    ///
    /// # Safety
    ///
    /// If `src` or `dst` is shorter than `cryptlen`, the algorithm must be one that checks the
    /// lengths of the lists, as every algorithm registered through
    /// [`Registration`](super::Registration) does; others may access memory past the lists.
    pub unsafe fn crypt_lengths(
        &self,
        iv: &mut [u8],
        src: &[u8],
        dst: &mut [u8],
        cryptlen: usize,
        encrypt: bool,
    ) -> Result {
        // SAFETY: By the safety requirements.
        unsafe { self.crypt_lists(iv, src, dst, cryptlen, encrypt) }
    }

    /// Runs a request of `cryptlen` bytes from a copy of `src` into a copy of `dst`, whose lists
    /// hold exactly `src.len()` and `dst.len()` bytes.
    ///
    /// # Safety
    ///
    /// As for [`Tfm::crypt_lengths`].
    unsafe fn crypt_lists(
        &self,
        iv: &mut [u8],
        src: &[u8],
        dst: &mut [u8],
        cryptlen: usize,
        encrypt: bool,
    ) -> Result {
        if iv.len() != self.iv_size() {
            return Err(EINVAL);
        }
        let cryptlen = u32::try_from(cryptlen).map_err(|_| EINVAL)?;
        let (src_len, dst_len) = (
            u32::try_from(src.len()).map_err(|_| EINVAL)?,
            u32::try_from(dst.len()).map_err(|_| EINVAL)?,
        );

        // The scatterlists must point to memory in the linear mapping.
        let mut src_bounce = KVec::with_capacity(src.len().max(1), GFP_KERNEL)?;
        src_bounce.extend_from_slice(src, GFP_KERNEL)?;
        let mut dst_bounce = KVec::from_elem(0u8, dst.len().max(1), GFP_KERNEL)?;

        let src_sg = Opaque::<bindings::scatterlist>::uninit();
        let dst_sg = Opaque::<bindings::scatterlist>::uninit();
        // SAFETY: The lists are valid for writes; the buffers are `kmalloc` memory of at least
        // the given lengths that outlive the request.
        unsafe {
            bindings::sg_init_one(src_sg.get(), src_bounce.as_mut_ptr().cast(), src_len);
            bindings::sg_init_one(dst_sg.get(), dst_bounce.as_mut_ptr().cast(), dst_len);
        }

        // SAFETY: The lists and `iv` (checked above) outlive the call; lists shorter than
        // `cryptlen` are allowed by the safety requirements.
        unsafe { self.wait_request(iv, src_sg.get(), dst_sg.get(), cryptlen, encrypt) }?;

        dst.copy_from_slice(&dst_bounce[..dst.len()]);
        Ok(())
    }

    /// Encrypts or decrypts `buf` in place and waits for the result.
    fn crypt_buf(&self, iv: &mut [u8], buf: &mut [u8], encrypt: bool) -> Result {
        if iv.len() != self.iv_size() {
            return Err(EINVAL);
        }
        let len = u32::try_from(buf.len()).map_err(|_| EINVAL)?;
        if len == 0 {
            return Ok(());
        }

        // The scatterlist must point to memory in the linear mapping.
        let mut bounce = KVec::with_capacity(buf.len(), GFP_KERNEL)?;
        bounce.extend_from_slice(buf, GFP_KERNEL)?;

        let sg = Opaque::<bindings::scatterlist>::uninit();
        // SAFETY: `sg` is valid for writes; `bounce` is a `kmalloc` buffer of `len` bytes that
        // outlives the request.
        unsafe { bindings::sg_init_one(sg.get(), bounce.as_mut_ptr().cast(), len) };

        // SAFETY: `sg` covers `len` bytes, and `iv` (checked above) holds the IV size of the
        // transformation; both outlive the call.
        unsafe { self.wait_request(iv, sg.get(), sg.get(), len, encrypt) }?;

        // PANIC: `bounce` is a copy of `buf`, they have the same length.
        buf.copy_from_slice(&bounce);
        Ok(())
    }

    /// Runs a request from `src` to `dst` of `cryptlen` bytes with `iv`, and waits for it.
    ///
    /// # Safety
    ///
    /// `src` and `dst` must be valid scatterlists of memory in the linear mapping, holding
    /// `cryptlen` bytes unless the algorithm checks their lengths (see [`Tfm::crypt_lengths`]);
    /// `iv` must hold the IV size of the transformation. All must outlive the call.
    unsafe fn wait_request(
        &self,
        iv: &mut [u8],
        src: *mut bindings::scatterlist,
        dst: *mut bindings::scatterlist,
        cryptlen: u32,
        encrypt: bool,
    ) -> Result {
        let wait = Opaque::<bindings::crypto_wait>::uninit();
        // SAFETY: `wait` is valid for writes and is not moved while the request uses it.
        unsafe { bindings::crypto_init_wait(wait.get()) };

        // SAFETY: `self.ptr` is valid by the type invariants.
        let req =
            unsafe { bindings::skcipher_request_alloc(self.ptr.as_ptr(), GFP_KERNEL.as_raw()) };
        if req.is_null() {
            return Err(ENOMEM);
        }

        // SAFETY:
        // - `req` is a valid request of this transformation.
        // - `crypto_req_done` completes `wait`, which outlives the request since the request is
        //   waited for below.
        // - The lists and `iv` are as the safety requirements say, and outlive the request.
        let ret = unsafe {
            bindings::skcipher_request_set_callback(
                req,
                bindings::CRYPTO_TFM_REQ_MAY_BACKLOG | bindings::CRYPTO_TFM_REQ_MAY_SLEEP,
                Some(bindings::crypto_req_done),
                wait.get().cast(),
            );
            bindings::skcipher_request_set_crypt(req, src, dst, cryptlen, iv.as_mut_ptr().cast());
            let ret = if encrypt {
                bindings::crypto_skcipher_encrypt(req)
            } else {
                bindings::crypto_skcipher_decrypt(req)
            };
            let ret = bindings::crypto_wait_req(ret, wait.get());
            bindings::skcipher_request_free(req);
            ret
        };
        to_result(ret)
    }
}

impl Drop for Tfm {
    fn drop(&mut self) {
        // SAFETY: `self.ptr` is owned by `self` by the type invariants.
        unsafe { bindings::crypto_free_skcipher(self.ptr.as_ptr()) };
    }
}
