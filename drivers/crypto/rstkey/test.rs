// SPDX-License-Identifier: GPL-2.0

//! The test interfaces of rstkey, built only with `CONFIG_CRYPTO_DEV_RSTKEY_TEST`.
//!
//! They are debugfs files that let the tests do what no user of the driver can: create and
//! destroy device sessions directly, import clear keys and sign any dma-buf by file descriptor,
//! hold the data queues to fill the backlog, and measure algorithms by driver name. None of this
//! is compiled into a production module, and the data path has no test hook without it.
//!
//! - per device, in `rstkey/<device>/`: [`selftest`], [`crypto`], [`rsassa`] and
//!   `queue_limit` ([`QueueLimit`]);
//! - for the module, in `rstkey/`: [`bench`], [`load`], [`keyring`] and `engines`, the number
//!   of engines the algorithms can pick.

use kernel::{
    debugfs,
    fmt,
    prelude::*,
    sync::Arc,
    uaccess::UserSliceReader, //
};

use crate::{
    vcrypto::DebugData,
    virtio_engine::VirtioEngine, //
};

pub(crate) mod bench;
pub(crate) mod cmd;
pub(crate) mod crypto;
#[cfg(CONFIG_ASYMMETRIC_KEY_TYPE = "y")]
pub(crate) mod keyring;
pub(crate) mod load;
pub(crate) mod rsassa;
pub(crate) mod selftest;

/// The data of the debugfs directory of a device: what production shows, and the test files.
#[pin_data]
pub(crate) struct DeviceFiles {
    /// `capabilities` and `stats`.
    info: DebugData,
    /// The `selftest` file.
    #[pin]
    selftest: selftest::Selftest,
    /// The `crypto` file.
    #[pin]
    crypto: crypto::CryptoTest,
    /// The `rsassa` file.
    #[pin]
    rsassa: rsassa::RsassaTest,
    /// The `queue_limit` file.
    queue_limit: QueueLimit,
}

impl DeviceFiles {
    /// Creates the files' data for the device whose production data is `info`.
    pub(crate) fn new(info: DebugData) -> impl PinInit<Self, Error> {
        let (selftest, crypto, rsassa, limit) = (
            info.engine.clone(),
            info.engine.clone(),
            info.engine.clone(),
            info.engine.clone(),
        );
        try_pin_init!(Self {
            info,
            selftest <- selftest::Selftest::new(selftest),
            crypto <- crypto::CryptoTest::new(crypto),
            rsassa <- rsassa::RsassaTest::new(rsassa),
            queue_limit: QueueLimit(limit),
        }? Error)
    }

    /// Creates the files in `dir`.
    pub(crate) fn create_files<'data>(&'data self, dir: &debugfs::ScopedDir<'data, '_>) {
        self.info.create_files(dir);
        dir.read_write_file(c"selftest", &self.selftest);
        dir.read_write_file(c"crypto", &self.crypto);
        dir.read_write_file(c"rsassa", &self.rsassa);
        dir.read_write_file(c"queue_limit", &self.queue_limit);
    }
}

/// The module's test files, in the debugfs root directory.
pub(crate) struct ModuleFiles {
    /// `bench`.
    _bench: Pin<KBox<debugfs::File<bench::Bench>>>,
    /// `load`.
    _load: Pin<KBox<debugfs::File<load::Load>>>,
    /// `engines`.
    _engines: Pin<KBox<debugfs::File<Engines>>>,
    /// `keyring`.
    #[cfg(CONFIG_ASYMMETRIC_KEY_TYPE = "y")]
    _keyring: Pin<KBox<debugfs::File<keyring::KeyringTest>>>,
}

impl ModuleFiles {
    /// Creates the files in `root`.
    pub(crate) fn new(root: &debugfs::Dir) -> Result<Self> {
        Ok(Self {
            _bench: KBox::pin_init(
                root.read_write_file(c"bench", bench::Bench::new()),
                GFP_KERNEL,
            )?,
            _load: KBox::pin_init(root.read_write_file(c"load", load::Load::new()), GFP_KERNEL)?,
            _engines: KBox::pin_init(
                root.read_only_file(c"engines", Ok::<_, Error>(Engines)),
                GFP_KERNEL,
            )?,
            #[cfg(CONFIG_ASYMMETRIC_KEY_TYPE = "y")]
            _keyring: KBox::pin_init(
                root.read_write_file(c"keyring", keyring::KeyringTest::new()),
                GFP_KERNEL,
            )?,
        })
    }
}

/// The `engines` file: the number of engines in the algorithms' list.
pub(crate) struct Engines;

impl debugfs::Writer for Engines {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_fmt(fmt!("{}\n", crate::algs::engine_count()))
    }
}

/// The `queue_limit` file of a device: writing `N` lets each data queue have at most `N`
/// descriptors in use (`0`: no limit), so that the removal tests' load waits on the backlog
/// when the device goes; reading gives the limit.
pub(crate) struct QueueLimit(Arc<VirtioEngine>);

impl debugfs::Writer for QueueLimit {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_fmt(fmt!("{}\n", self.0.queue_limit()))
    }
}

impl debugfs::Reader for QueueLimit {
    fn read_from_slice(&self, reader: &mut UserSliceReader) -> Result {
        let line = cmd::read_command(reader, 16)?;
        let words = cmd::split_words(&line)?;
        let [word] = words[..] else {
            return Err(EINVAL);
        };
        self.0.set_queue_limit(cmd::parse_number(word)?);
        Ok(())
    }
}
