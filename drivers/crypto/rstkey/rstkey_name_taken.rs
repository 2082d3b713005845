// SPDX-License-Identifier: GPL-2.0

//! A test module that takes the driver name of one of rstkey's algorithms.
//!
//! While it is loaded, registering `pkcs1-rsa-sha1-rstkey` fails with [`EEXIST`], so binding
//! rstkey to a device fails in the middle of its algorithm registrations: the tests check that
//! such a probe leaves no engine behind and that a later bind works. Built only with
//! `CONFIG_CRYPTO_DEV_RSTKEY_TEST`.

use kernel::crypto::skcipher::{
    Algorithm,
    Registration,
    Request, //
};
use kernel::prelude::*;

/// An algorithm that only has a name: it refuses every request.
struct NameTaken;

#[vtable]
impl Algorithm for NameTaken {
    const NAME: &'static CStr = c"ecb(rstkey-name-taken)";
    const DRIVER_NAME: &'static CStr = c"pkcs1-rsa-sha1-rstkey";
    const PRIORITY: i32 = 0;
    const BLOCK_SIZE: u32 = 1;
    const MIN_KEYSIZE: u32 = 0;
    const MAX_KEYSIZE: u32 = 0;

    type Context = ();
    type RequestContext = ();

    fn init() -> Result<()> {
        Ok(())
    }

    fn setkey(_ctx: &mut (), _key: &[u8]) -> Result {
        Err(EINVAL)
    }

    fn encrypt(_ctx: &(), _req: &mut Request<'_, Self>) -> Result {
        Err(EOPNOTSUPP)
    }

    fn decrypt(_ctx: &(), _req: &mut Request<'_, Self>) -> Result {
        Err(EOPNOTSUPP)
    }
}

/// The module: the registration, for as long as it is loaded.
#[pin_data]
struct NameTakenModule {
    #[pin]
    _reg: Registration<NameTaken>,
}

impl kernel::InPlaceModule for NameTakenModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            _reg <- Registration::new(module),
        })
    }
}

module! {
    type: NameTakenModule,
    name: "rstkey_name_taken",
    authors: ["rstkey developers"],
    description: "Test module that takes a driver name of rstkey",
    license: "GPL",
}
