//! The guest's requests for QEMU's monitor: hot-unplug and hot-plug of the crypto device.
//!
//! QEMU listens for QMP (the QEMU Machine Protocol) on `qmp.sock` in the run directory. A guest
//! test asks for a monitor command by writing it, one line, to `monitor.request` on its control
//! share (`vm_monitor` in `tests/guest/lib.sh`); a host thread runs it and writes the answer to
//! `monitor.reply`: `ok <milliseconds>` or `error <why>`. The commands are few and fixed, so
//! that a guest cannot make QEMU do anything else:
//!
//! - `device_del`: removes the crypto device, as pulling it out of its slot would (ACPI PCI
//!   hotplug: the guest is asked to eject it), and waits until QEMU reports it gone
//!   (`DEVICE_DELETED`);
//! - `device_add`: plugs a new crypto device into the same slot, on the same backend.
//!
//! Every exchange is appended to `monitor.log` in the run directory.

use std::{
    fs,
    io::{BufRead, BufReader, Write},
    os::unix::net::UnixStream,
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

use crate::util::Result;

/// How long the guest may take to let a device go.
const DELETE_TIMEOUT: Duration = Duration::from_secs(180);

/// The monitor's host side for one boot.
pub struct Monitor {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Monitor {
    /// Serves the requests of the guest whose control share is `ctl`, on the QMP socket `sock`;
    /// `device` is the `-device` argument of the crypto device, whose `id` the commands name.
    pub fn start(sock: PathBuf, ctl: PathBuf, log: PathBuf, device: String) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::spawn(move || serve(&s, &sock, &ctl, &log, &device));
        Self {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(stop: &AtomicBool, sock: &Path, ctl: &Path, log: &Path, device: &str) {
    let request = ctl.join("monitor.request");
    let mut log = fs::OpenOptions::new().create(true).append(true).open(log).ok();
    while !stop.load(Ordering::Relaxed) {
        let Ok(line) = fs::read_to_string(&request) else {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        let _ = fs::remove_file(&request);
        let start = Instant::now();
        let answer = match run(sock, line.trim(), device, log.as_mut()) {
            Ok(()) => format!("ok {}", start.elapsed().as_millis()),
            Err(e) => format!("error {e}"),
        };
        if let Some(f) = log.as_mut() {
            let _ = writeln!(f, "<< {} -> {answer}", line.trim());
        }
        // The guest reads the reply once it exists: write it whole, then give it its name.
        let tmp = ctl.join("monitor.reply.tmp");
        if fs::write(&tmp, format!("{answer}\n")).is_ok() {
            let _ = fs::rename(&tmp, ctl.join("monitor.reply"));
        }
    }
}

/// The value of `key=` in the `-device` argument `device`.
fn device_prop<'a>(device: &'a str, key: &str) -> Option<&'a str> {
    device
        .split(',')
        .find_map(|p| p.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
}

/// The QMP command for the guest's request `req`.
fn command(req: &str, device: &str) -> Result<String> {
    let id = device_prop(device, "id").ok_or("the device has no id")?;
    match req {
        "device_del" => Ok(format!(
            r#"{{"execute":"device_del","arguments":{{"id":"{id}"}}}}"#
        )),
        "device_add" => {
            let mut args = device.split(',');
            let driver = args.next().ok_or("no device driver")?;
            let mut json = format!(r#"{{"execute":"device_add","arguments":{{"driver":"{driver}""#);
            for p in args {
                let (k, v) = p.split_once('=').ok_or("a device property without a value")?;
                json.push_str(&format!(r#","{k}":"{v}""#));
            }
            json.push_str("}}");
            Ok(json)
        }
        _ => Err(format!("unknown request {req:?} (device_del or device_add)")),
    }
}

/// What a line from QMP says.
#[derive(Debug, PartialEq)]
enum Message {
    Greeting,
    Return,
    Error(String),
    Deleted(String),
    Other,
}

/// The string value of `"key"` in the JSON text `line` (QMP's values of interest here have no
/// escapes).
fn json_str<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let at = line.find(&format!("\"{key}\""))? + key.len() + 2;
    let rest = line[at..].trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    rest.find('"').map(|end| &rest[..end])
}

fn parse(line: &str) -> Message {
    let line = line.trim();
    if line.starts_with(r#"{"QMP""#) {
        Message::Greeting
    } else if line.starts_with(r#"{"return""#) {
        Message::Return
    } else if line.starts_with(r#"{"error""#) {
        Message::Error(json_str(line, "desc").unwrap_or(line).to_owned())
    } else if json_str(line, "event") == Some("DEVICE_DELETED") {
        // The device's own event names it; its virtio child's has only a path.
        Message::Deleted(json_str(line, "device").unwrap_or_default().to_owned())
    } else {
        Message::Other
    }
}

fn run(sock: &Path, req: &str, device: &str, mut log: Option<&mut fs::File>) -> Result<()> {
    let cmd = command(req, device)?;
    let id = device_prop(device, "id").unwrap_or_default();
    let stream = UnixStream::connect(sock).map_err(|e| format!("{}: {e}", sock.display()))?;
    stream
        .set_read_timeout(Some(DELETE_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let mut out = stream.try_clone().map_err(|e| e.to_string())?;
    let mut lines = BufReader::new(stream).lines();
    let mut next = |log: &mut Option<&mut fs::File>| -> Result<Message> {
        let line = lines
            .next()
            .ok_or("QMP closed the connection")?
            .map_err(|e| format!("QMP: {e}"))?;
        if let Some(f) = log.as_mut() {
            let _ = writeln!(f, "<- {line}");
        }
        Ok(parse(&line))
    };
    if next(&mut log)? != Message::Greeting {
        return Err("no QMP greeting".into());
    }
    let mut send = |json: &str, log: &mut Option<&mut fs::File>| -> Result<()> {
        if let Some(f) = log.as_mut() {
            let _ = writeln!(f, "-> {json}");
        }
        writeln!(out, "{json}").map_err(|e| format!("QMP: {e}"))
    };
    send(r#"{"execute":"qmp_capabilities"}"#, &mut log)?;
    loop {
        match next(&mut log)? {
            Message::Return => break,
            Message::Error(e) => return Err(e),
            _ => {}
        }
    }
    send(&cmd, &mut log)?;
    let mut returned = false;
    let mut deleted = req != "device_del";
    while !(returned && deleted) {
        match next(&mut log)? {
            Message::Return => returned = true,
            Message::Error(e) => return Err(e),
            Message::Deleted(d) if d == id => deleted = true,
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV: &str = "virtio-crypto-pci,id=crypto0,cryptodev=cryptodev0,addr=0x8";

    #[test]
    fn commands_are_fixed() {
        assert_eq!(
            command("device_del", DEV).unwrap(),
            r#"{"execute":"device_del","arguments":{"id":"crypto0"}}"#
        );
        assert_eq!(
            command("device_add", DEV).unwrap(),
            r#"{"execute":"device_add","arguments":{"driver":"virtio-crypto-pci","id":"crypto0","cryptodev":"cryptodev0","addr":"0x8"}}"#
        );
        assert!(command("quit", DEV).is_err());
        assert!(command("device_del crypto0; quit", DEV).is_err());
    }

    #[test]
    fn messages_are_told_apart() {
        assert_eq!(
            parse(r#"{"QMP": {"version": {"qemu": {"micro": 2}}, "capabilities": []}}"#),
            Message::Greeting
        );
        assert_eq!(parse(r#"{"return": {}}"#), Message::Return);
        assert_eq!(
            parse(r#"{"error": {"class": "DeviceNotFound", "desc": "Device 'x' not found"}}"#),
            Message::Error("Device 'x' not found".into())
        );
        assert_eq!(
            parse(
                r#"{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "DEVICE_DELETED", "data": {"device": "crypto0", "path": "/machine/peripheral/crypto0"}}"#
            ),
            Message::Deleted("crypto0".into())
        );
        assert_eq!(
            parse(
                r#"{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "DEVICE_DELETED", "data": {"path": "/machine/peripheral/crypto0/virtio-backend"}}"#
            ),
            Message::Deleted(String::new())
        );
        assert_eq!(
            parse(r#"{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "RESUME"}"#),
            Message::Other
        );
    }
}
