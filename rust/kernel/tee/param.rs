// SPDX-License-Identifier: GPL-2.0

//! Parameters of TEE sessions and commands.
//!
//! C header: [`include/linux/tee_drv.h`](srctree/include/linux/tee_drv.h)

use super::Shm;
use crate::{
    bindings,
    prelude::*, //
};

/// The maximum number of parameters of a session or a command.
///
/// This is the number of parameters of the GlobalPlatform TEE Client API
/// (`TEEC_CONFIG_PAYLOAD_REF_COUNT`), which all Trusted Applications use.
pub const MAX_PARAMS: usize = 4;

/// A value parameter: three 64-bit integers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Value {
    /// The first value.
    pub a: u64,
    /// The second value.
    pub b: u64,
    /// The third value.
    pub c: u64,
}

/// A memory reference parameter: a range of shared memory.
///
/// # Invariants
///
/// `offset + size` does not overflow and is at most the size of `shm`, except after the TEE
/// updated `size` (see [`MemRef::size`]); it is checked again before the reference is passed to
/// the TEE.
#[derive(Clone, Copy)]
pub struct MemRef<'a> {
    /// The shared memory the range is part of.
    shm: &'a Shm,
    /// The offset of the range in the shared memory.
    offset: usize,
    /// The size of the range.
    size: usize,
}

/// Checks that `size` bytes at `offset` are within `len` bytes.
///
/// This is the check the TEE core does for memory references from user space.
pub(super) fn check_bounds(offset: usize, size: usize, len: usize) -> Result {
    match offset.checked_add(size) {
        Some(end) if end <= len => Ok(()),
        _ => Err(EINVAL),
    }
}

impl<'a> MemRef<'a> {
    /// Creates a reference to `size` bytes of `shm` at `offset`.
    ///
    /// # Errors
    ///
    /// Returns [`EINVAL`] if the range overflows or isn't within `shm`.
    pub fn new(shm: &'a Shm, offset: usize, size: usize) -> Result<Self> {
        check_bounds(offset, size, shm.size())?;

        // INVARIANT: Checked above.
        Ok(Self { shm, offset, size })
    }

    /// Creates a reference to all of `shm`.
    pub fn whole(shm: &'a Shm) -> Self {
        // INVARIANT: `0 + shm.size()` is the size of `shm`.
        Self {
            shm,
            offset: 0,
            size: shm.size(),
        }
    }

    /// Returns the shared memory of the reference.
    pub fn shm(&self) -> &'a Shm {
        self.shm
    }

    /// Returns the offset of the range in the shared memory.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Returns the size of the range.
    ///
    /// For an output reference, after the call this is the size the TEE returned: the size of
    /// the output, which may exceed the range if it was too short.
    pub fn size(&self) -> usize {
        self.size
    }
}

/// A parameter of a session or command.
///
/// The variants are the parameter types of the GlobalPlatform TEE Client API. After the call, the
/// output and input/output variants hold what the TEE returned.
#[derive(Clone, Copy)]
pub enum Param<'a> {
    /// An unused parameter.
    None,
    /// A value the TEE reads.
    ValueInput(Value),
    /// A value the TEE writes.
    ValueOutput(Value),
    /// A value the TEE reads and writes.
    ValueInout(Value),
    /// Memory the TEE reads.
    MemRefInput(MemRef<'a>),
    /// Memory the TEE writes.
    MemRefOutput(MemRef<'a>),
    /// Memory the TEE reads and writes.
    MemRefInout(MemRef<'a>),
}

impl Param<'_> {
    /// Returns the C representation of the parameter for a call in the context `ctx`.
    ///
    /// `ctx` is only compared with the contexts of memory references, never dereferenced.
    ///
    /// # Errors
    ///
    /// Returns [`EINVAL`] if a memory reference is out of the bounds of its shared memory or its
    /// shared memory belongs to another context.
    fn encode(&self, ctx: *mut bindings::tee_context) -> Result<bindings::tee_param> {
        let mut raw: bindings::tee_param = pin_init::zeroed();
        let attr = match self {
            Param::None => bindings::TEE_IOCTL_PARAM_ATTR_TYPE_NONE,
            Param::ValueInput(v) | Param::ValueOutput(v) | Param::ValueInout(v) => {
                raw.u.value = bindings::tee_param_value {
                    a: v.a,
                    b: v.b,
                    c: v.c,
                };
                match self {
                    Param::ValueInput(_) => bindings::TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT,
                    Param::ValueOutput(_) => bindings::TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT,
                    _ => bindings::TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT,
                }
            }
            Param::MemRefInput(m) | Param::MemRefOutput(m) | Param::MemRefInout(m) => {
                if !m.shm.belongs_to(ctx) {
                    return Err(EINVAL);
                }
                check_bounds(m.offset, m.size, m.shm.size())?;
                raw.u.memref = bindings::tee_param_memref {
                    shm_offs: m.offset,
                    size: m.size,
                    shm: m.shm.as_raw(),
                };
                match self {
                    Param::MemRefInput(_) => bindings::TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT,
                    Param::MemRefOutput(_) => bindings::TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT,
                    _ => bindings::TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT,
                }
            }
        };
        raw.attr = attr.into();
        Ok(raw)
    }

    /// Updates an output or input/output parameter with what the TEE returned in `raw`.
    ///
    /// `raw` must be the C representation of `self` returned by [`Param::to_raw`], after the call.
    fn update(&mut self, raw: &bindings::tee_param) {
        match self {
            Param::ValueOutput(v) | Param::ValueInout(v) => {
                // SAFETY: `raw` is the representation of a value parameter, so `u.value` is the
                // active field of the union.
                let value = unsafe { raw.u.value };
                *v = Value {
                    a: value.a,
                    b: value.b,
                    c: value.c,
                };
            }
            Param::MemRefOutput(m) | Param::MemRefInout(m) => {
                // SAFETY: `raw` is the representation of a memory reference, so `u.memref` is the
                // active field of the union.
                m.size = unsafe { raw.u.memref.size };
            }
            _ => {}
        }
    }
}

/// Returns the C representation of `params` for a call in the context `ctx`.
///
/// `ctx` is only compared with the contexts of memory references, never dereferenced.
///
/// # Errors
///
/// Returns [`EINVAL`] if there are more than [`MAX_PARAMS`] parameters or [`Param::to_raw`] fails
/// for one of them.
pub(super) fn encode(
    ctx: *mut bindings::tee_context,
    params: &[Param<'_>],
) -> Result<[bindings::tee_param; MAX_PARAMS]> {
    if params.len() > MAX_PARAMS {
        return Err(EINVAL);
    }
    let mut raw: [bindings::tee_param; MAX_PARAMS] = pin_init::zeroed();
    for (r, p) in raw.iter_mut().zip(params) {
        *r = p.encode(ctx)?;
    }
    Ok(raw)
}

/// Updates `params` with what the TEE returned in `raw`, their representation from [`encode`].
pub(super) fn update(params: &mut [Param<'_>], raw: &[bindings::tee_param; MAX_PARAMS]) {
    for (p, r) in params.iter_mut().zip(raw) {
        p.update(r);
    }
}

#[cfg(CONFIG_RUST_TEE_KUNIT_TEST)]
#[macros::kunit_tests(rust_kernel_tee_param)]
mod tests {
    use super::*;

    /// The bounds check refuses ranges that overflow or end after the shared memory.
    #[test]
    fn bounds() {
        assert_eq!(check_bounds(0, 4096, 4096), Ok(()));
        assert_eq!(check_bounds(4095, 1, 4096), Ok(()));
        assert_eq!(check_bounds(4096, 0, 4096), Ok(()));
        assert_eq!(check_bounds(0, 0, 0), Ok(()));
        assert_eq!(check_bounds(0, 4097, 4096), Err(EINVAL));
        assert_eq!(check_bounds(1, 4096, 4096), Err(EINVAL));
        assert_eq!(check_bounds(4097, 0, 4096), Err(EINVAL));
        assert_eq!(check_bounds(usize::MAX, 2, 4096), Err(EINVAL));
        assert_eq!(check_bounds(2, usize::MAX, usize::MAX), Err(EINVAL));
    }

    /// Value parameters are encoded with their type and values, and outputs are updated.
    #[test]
    fn values() -> Result {
        // No context is needed for parameters without memory references.
        let ctx = core::ptr::null_mut();
        let v = Value { a: 1, b: 2, c: 3 };
        let mut params = [
            Param::ValueInput(v),
            Param::ValueOutput(Value::default()),
            Param::ValueInout(v),
            Param::None,
        ];
        let mut raw = encode(ctx, &params)?;
        let attrs = raw.map(|r| r.attr);
        assert_eq!(
            attrs,
            [
                bindings::TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT.into(),
                bindings::TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT.into(),
                bindings::TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT.into(),
                bindings::TEE_IOCTL_PARAM_ATTR_TYPE_NONE.into(),
            ]
        );
        // SAFETY: The first parameter is a value.
        let first = unsafe { raw[0].u.value };
        assert_eq!((first.a, first.b, first.c), (1, 2, 3));

        // What the TEE returns.
        for r in raw.iter_mut().take(3) {
            r.u.value = bindings::tee_param_value { a: 7, b: 8, c: 9 };
        }
        update(&mut params, &raw);
        let back = Value { a: 7, b: 8, c: 9 };
        assert!(matches!(params[0], Param::ValueInput(x) if x == v));
        assert!(matches!(params[1], Param::ValueOutput(x) if x == back));
        assert!(matches!(params[2], Param::ValueInout(x) if x == back));
        Ok(())
    }

    /// More than `MAX_PARAMS` parameters are refused.
    #[test]
    fn too_many() {
        let ctx = core::ptr::null_mut();
        let params = [Param::None; MAX_PARAMS + 1];
        assert!(matches!(encode(ctx, &params), Err(e) if e == EINVAL));
        assert!(encode(ctx, &params[..MAX_PARAMS]).is_ok());
        assert!(encode(ctx, &[]).is_ok());
    }
}
