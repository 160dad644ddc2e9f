//! An embedder whose guests `dlopen` side modules fetched over HTTP from an allow-listed origin:
//! a [`ModuleSource`] of its own, given to the loader with `WasiDlCtxBuilder::source`.
//!
//! ```sh
//! cargo run -p wasi-dl --example http_source -- [--max-module-bytes N] DIR PROG.wasm [ARGS...]
//! ```
//!
//! It serves DIR at `http://127.0.0.1:PORT/libs/` (an ephemeral port, a `std::net` thread),
//! then runs PROG.wasm with wasmtime-wasi (preview 1) and wasi-dl side by side, whose only
//! library source is an [`HttpSource`] for that URL: `dlopen("libgreet.so")` in the guest
//! becomes `GET /libs/libgreet.so`. Nothing but 127.0.0.1 is contacted.
//!
//! What the source does, following the [`ModuleSource`] contract:
//! - The loader asks it only for names without a `/` (paths go to granted directories). It
//!   fetches plain file names (`[A-Za-z0-9._+-]`, not starting with `.`) and refuses anything
//!   else (`..`, `%`-escapes, `:`, `?`, `\`, ...) with an error the guest reads from `dlerror()`.
//! - It contacts allow-listed origins (scheme, host, port) only, never through a proxy named in
//!   the environment. It follows a redirect only to another plain file name under the base URL
//!   of an allowed origin; any other redirect is refused without contacting its target.
//! - 404 and 410 mean "this source does not have it" (`Ok(None)`: the guest sees "No such file
//!   or directory" when no other source has it either); any other status but 200, and every I/O
//!   error, is an error that names the URL.
//! - It reads at most the module size limit the loader passes (`Limits::max_module_bytes`)
//!   plus one byte of a body, whatever the server announces.
//!
//! The server, for the demonstration: `GET /libs/NAME` answers with the file DIR/NAME (without
//! `Content-Length`: the body ends when the connection closes, so the client cannot know its
//! size in advance; the server logs how much it sent), 403 for a directory, a 302 to the
//! contents of DIR/NAME.redirect when that file exists instead, and 404 otherwise. It logs every request on stderr.

use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use ureq::http::Uri;
use wasi_dl::{Fetched, Limits, ModuleSource, WasiDlCtx};
use wasmtime::error::Context;
use wasmtime::{bail, format_err, Engine, Linker, Module, Store};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::{I32Exit, WasiCtxBuilder};

/// Where the server publishes DIR.
const BASE_PATH: &str = "/libs/";
/// Redirects (each to a plain name under the base URL) followed for one library.
const MAX_REDIRECTS: usize = 4;

// ----------------------------------------------------------------------------------------------
// The source.

/// What an allow list holds: a scheme, a host and a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// Parses `http://HOST[:PORT]` (a trailing `/` is accepted, a path is not).
    pub fn parse(text: &str) -> wasmtime::Result<Origin> {
        let url = Url::parse(text)?;
        if !url.path.is_empty() && url.path != "/" {
            bail!("{text}: an origin has no path");
        }
        Ok(url.origin)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// An absolute `http`/`https` URL: its origin and its path (no user information, no query).
#[derive(Debug, Clone)]
struct Url {
    origin: Origin,
    path: String,
}

impl Url {
    fn parse(text: &str) -> wasmtime::Result<Url> {
        let uri = text
            .parse::<Uri>()
            .with_context(|| format!("{text:?} is not a URL"))?;
        let scheme = uri
            .scheme_str()
            .ok_or_else(|| format_err!("{text:?} is not an absolute URL"))?
            .to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => bail!("{text}: only http and https URLs"),
        };
        if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
            bail!("{text}: user information in a URL is not allowed");
        }
        if uri.query().is_some() {
            bail!("{text}: a query is not allowed");
        }
        let host = uri
            .host()
            .ok_or_else(|| format_err!("{text}: no host"))?
            .to_ascii_lowercase();
        Ok(Url {
            origin: Origin {
                scheme,
                host,
                port: uri.port_u16().unwrap_or(default_port),
            },
            path: uri.path().to_string(),
        })
    }

    /// Resolves a `Location` header against this URL.
    fn join(&self, location: &str) -> wasmtime::Result<Url> {
        let has_scheme = location.split_once(':').is_some_and(|(scheme, _)| {
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        });
        let absolute = if has_scheme {
            location.to_string()
        } else if location.starts_with("//") {
            format!("{}:{location}", self.origin.scheme)
        } else if location.starts_with('/') {
            format!("{}{location}", self.origin)
        } else {
            let dir = &self.path[..self.path.rfind('/').map_or(0, |i| i + 1)];
            format!("{}{dir}{location}", self.origin)
        };
        Url::parse(&absolute)
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.origin, self.path)
    }
}

/// Why `name` is not a plain file name, one that stays inside any base URL it is appended to.
fn check_name(name: &str) -> Result<(), String> {
    if name == "." || name == ".." {
        return Err(format!(
            "{name:?} is a directory reference, not a file name"
        ));
    }
    if name.is_empty() {
        return Err("the name is empty".into());
    }
    if name.contains('%') {
        return Err(format!("{name:?} contains a %-escape"));
    }
    if name.starts_with('.') {
        return Err(format!("{name:?} starts with `.`"));
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._+-".contains(*c)))
    {
        Some(c) => Err(format!(
            "{name:?} contains {c:?} (plain file names only: letters, digits, `._+-`)"
        )),
        None => Ok(()),
    }
}

/// Side modules fetched with `GET BASE/NAME`, from allow-listed origins only.
pub struct HttpSource {
    agent: ureq::Agent,
    /// The base URL; its path ends with `/`.
    base: Url,
    allowed: Vec<Origin>,
}

impl HttpSource {
    /// A source for the plain file names under `base` (a URL ending in `/`), whose origin must
    /// be in `allowed`.
    pub fn new(base: &str, allowed: Vec<Origin>) -> wasmtime::Result<HttpSource> {
        let base = Url::parse(base)?;
        if !base.path.ends_with('/') {
            bail!("{base}: a base URL ends with `/`");
        }
        if !allowed.contains(&base.origin) {
            bail!("{base}: origin {} is not on the allow list", base.origin);
        }
        let config = ureq::Agent::config_builder()
            // Only the allowed origins are contacted: no proxy from HTTP_PROXY and friends.
            .proxy(None)
            // Redirects are followed by `fetch`, each target checked first.
            .max_redirects(0)
            // 404 is "not found", other statuses precise errors: `fetch` decides.
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build();
        Ok(HttpSource {
            agent: ureq::Agent::new_with_config(config),
            base,
            allowed,
        })
    }

    /// Refuses a URL that is not a plain file name under the base path of an allowed origin.
    fn check_target(&self, url: &Url) -> wasmtime::Result<()> {
        if !self.allowed.contains(&url.origin) {
            bail!("origin {} is not on the allow list", url.origin);
        }
        let name = url
            .path
            .strip_prefix(&self.base.path)
            .ok_or_else(|| format_err!("{} is not under {}", url.path, self.base.path))?;
        check_name(name).map_err(|why| format_err!("{why}"))
    }

    /// Reads a 200 answer's body, at most `max` bytes of it.
    fn read_body(&self, url: &Url, body: ureq::Body, max: usize) -> wasmtime::Result<Vec<u8>> {
        if let Some(len) = body.content_length() {
            if len > max as u64 {
                bail!("module size limit exceeded: {url} announces {len} bytes, at most {max} allowed");
            }
        }
        let mut bytes = Vec::new();
        body.into_reader()
            .take(max as u64 + 1)
            .read_to_end(&mut bytes)
            .with_context(|| format!("reading {url}"))?;
        if bytes.len() > max {
            bail!("module size limit exceeded: {url} sends more than the {max} bytes allowed");
        }
        Ok(bytes)
    }
}

impl ModuleSource for HttpSource {
    fn fetch(&self, name: &str, max_bytes: usize) -> wasmtime::Result<Option<Fetched>> {
        check_name(name).map_err(|why| format_err!("refused by the HTTP source: {why}"))?;
        let mut url = self.base.join(name)?;
        for _ in 0..=MAX_REDIRECTS {
            let response = self
                .agent
                .get(url.to_string())
                .call()
                .with_context(|| format!("GET {url}"))?;
            let status = response.status();
            match status.as_u16() {
                200 => {
                    let bytes = self.read_body(&url, response.into_body(), max_bytes)?;
                    return Ok(Some(Fetched {
                        bytes: bytes.into(),
                        // The final URL: names redirected to one module share its instance.
                        key: url.to_string(),
                        // No guest path: `$ORIGIN` does not apply, `dladdr` reports the name.
                        path: None,
                    }));
                }
                404 | 410 => return Ok(None),
                301 | 302 | 303 | 307 | 308 => {
                    let location = response
                        .headers()
                        .get("location")
                        .and_then(|v| v.to_str().ok())
                        .ok_or_else(|| format_err!("{url} answered {status} without a Location"))?;
                    let next = url
                        .join(location)
                        .and_then(|next| self.check_target(&next).map(|()| next))
                        .map_err(|e| {
                            format_err!("refused the redirect from {url} to {location}: {e:#}")
                        })?;
                    url = next;
                }
                _ => bail!("{url} answered {status}"),
            }
        }
        bail!(
            "more than {MAX_REDIRECTS} redirects for {}",
            self.base.join(name)?
        )
    }
}

// ----------------------------------------------------------------------------------------------
// The server.

/// Serves `dir` on 127.0.0.1 (an ephemeral port) from a thread, one thread per connection.
fn serve(dir: PathBuf) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let _ = answer(stream, &dir);
            });
        }
    });
    Ok(addr)
}

/// Answers one request and closes the connection.
fn answer(stream: TcpStream, dir: &Path) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.by_ref().take(8192).read_line(&mut request_line)?;
    loop {
        let mut header = String::new();
        let n = reader.by_ref().take(8192).read_line(&mut header)?;
        if n == 0 || header.trim_end().is_empty() {
            break;
        }
    }
    let mut words = request_line.split_whitespace();
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let file = target
        .strip_prefix(BASE_PATH)
        .filter(|name| check_name(name).is_ok())
        .map(|name| dir.join(name));
    let redirect = file.as_ref().and_then(|f| {
        let mut path = f.clone().into_os_string();
        path.push(".redirect");
        std::fs::read_to_string(path).ok()
    });
    let status = match (method, &file) {
        (m, _) if m != "GET" => "405 Method Not Allowed",
        (_, None) => "400 Bad Request",
        (_, Some(f)) if f.is_file() => "200 OK",
        (_, Some(f)) if f.is_dir() => "403 Forbidden",
        _ if redirect.is_some() => "302 Found",
        _ => "404 Not Found",
    };
    eprintln!("http_source: server: {method} {target} -> {status}");
    let mut out = stream;
    match (status, file, redirect) {
        ("200 OK", Some(file), _) => {
            let mut file = std::fs::File::open(file)?;
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: application/wasm\r\nConnection: close\r\n\r\n"
            )?;
            // A client that stops reading at its limit closes the connection, and the copy fails.
            // The log line comes before the connection closes, that is before the client sees
            // the end of the body.
            match std::io::copy(&mut file, &mut out).and_then(|n| out.flush().map(|()| n)) {
                Ok(n) => eprintln!("http_source: server: {target}: {n} bytes sent"),
                Err(e) => eprintln!("http_source: server: {target}: stopped: {e}"),
            }
        }
        ("302 Found", _, Some(location)) => write!(
            out,
            "HTTP/1.1 302 Found\r\nLocation: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            location.trim()
        )?,
        _ => write!(
            out,
            "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )?,
    }
    out.flush()
}

// ----------------------------------------------------------------------------------------------
// The embedder.

struct State {
    wasi: WasiP1Ctx,
    dl: WasiDlCtx,
}

const USAGE: &str = "usage: http_source [--max-module-bytes N] DIR PROG.wasm [ARGS...]";

fn main() -> wasmtime::Result<()> {
    let mut args = std::env::args().skip(1).peekable();
    let mut limits = Limits::default();
    if args.peek().map(String::as_str) == Some("--max-module-bytes") {
        args.next();
        limits.max_module_bytes = args
            .next()
            .and_then(|n| n.parse().ok())
            .context("--max-module-bytes takes a number")?;
    }
    let (Some(dir), Some(program)) = (args.next(), args.next()) else {
        bail!("{USAGE}");
    };

    let addr = serve(PathBuf::from(&dir)).context("starting the server")?;
    let base = format!("http://{addr}{BASE_PATH}");
    eprintln!("http_source: serving {dir} at {base}");
    // The allow list: the server's origin only.
    let allowed = vec![Origin::parse(&format!("http://{addr}"))?];
    let source = HttpSource::new(&base, allowed)?;

    let engine = Engine::default();
    let mut linker: Linker<State> = Linker::new(&engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s: &mut State| &mut s.wasi)?;
    wasi_dl::add_to_linker(&mut linker, |s: &mut State| &mut s.dl)?; // after WASI

    let module = Module::from_file(&engine, &program)?;
    let dl = WasiDlCtx::builder()
        .source(source) // the only place libraries may come from
        .limits(limits)
        .program_module(&module)
        .build();
    let mut wasi = WasiCtxBuilder::new();
    wasi.inherit_stdio().arg(&program);
    for arg in args {
        wasi.arg(arg);
    }
    let mut store = Store::new(
        &engine,
        State {
            wasi: wasi.build_p1(),
            dl,
        },
    );
    let instance = linker.instantiate(&mut store, &module)?;
    let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
    let code = match start.call(&mut store, ()) {
        Ok(()) => 0,
        Err(err) => match err.downcast_ref::<I32Exit>() {
            Some(exit) => exit.0,
            None => return Err(err),
        },
    };
    std::io::stdout().flush()?;
    std::process::exit(code);
}
