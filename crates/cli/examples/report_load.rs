//! A load generator for a running server, in its own process: `writers` clients post reports
//! (with a name and phone, so that each seals personal data) for `seconds`, one request per
//! connection, and the rate and latencies are printed. Used to see what a server's users
//! notice while something else runs beside it, such as `grassroots keys rotate`:
//!
//! ```text
//! grassroots --public-rate-per-minute 100000000 --public-burst 100000000 serve &
//! cargo run --release -p grassroots --example report_load -- 8080 60 8
//! ```

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn post(port: u16, body: &str) -> std::io::Result<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    write!(
        s,
        "POST /api/v1/cases HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut reply = String::new();
    s.read_to_string(&mut reply)?;
    reply.split(' ').nth(1).and_then(|c| c.parse().ok()).ok_or_else(|| std::io::Error::other("no status line"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, default: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let (port, seconds, writers) = (arg(1, 8080) as u16, arg(2, 30), arg(3, 8));
    let until = Instant::now() + Duration::from_secs(seconds);
    let threads: Vec<_> = (0..writers)
        .map(|w| {
            std::thread::spawn(move || {
                let (mut latencies, mut refused) = (Vec::new(), 0);
                for i in 0.. {
                    if Instant::now() >= until {
                        break;
                    }
                    let body = format!(
                        r#"{{"description":"负载测试 {w}-{i}","category_code":"0301","address":"东华门街道多福巷社区","reporter_name":"张三","reporter_phone":"13812345678"}}"#
                    );
                    let began = Instant::now();
                    match post(port, &body) {
                        Ok(201) => latencies.push(began.elapsed()),
                        Ok(_) | Err(_) => refused += 1,
                    }
                }
                (latencies, refused)
            })
        })
        .collect();
    let (mut latencies, mut refused) = (Vec::new(), 0);
    for t in threads {
        let (l, r) = t.join().expect("a writer panicked");
        latencies.extend(l);
        refused += r;
    }
    latencies.sort();
    let at = |q: f64| latencies.get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)));
    let ms = |d: Option<&Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    println!(
        "{} reports acknowledged ({:.0}/s), {refused} refused or failed; latency p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        latencies.len(),
        latencies.len() as f64 / seconds as f64,
        ms(at(0.5)),
        ms(at(0.99)),
        ms(latencies.last())
    );
}
