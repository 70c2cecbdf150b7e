//! Times aws-lc's first random draw in a fresh process, then a second one. The first seeds aws-lc's generator from its
//! entropy sources: the operating system and, unless aws-lc-sys was built with `AWS_LC_SYS_NO_JITTER_ENTROPY=1`, its
//! CPU-jitter source. In a Lambda that happens during the first TLS handshake, in the init phase. Prints microseconds;
//! see docs/performance.md for how it is run and what it showed.

use std::time::Instant;

fn draw() -> u128 {
    let mut buf = [0u8; 32];
    let t = Instant::now();
    aws_lc_rs::rand::fill(&mut buf).expect("aws-lc gives random bytes");
    std::hint::black_box(buf);
    t.elapsed().as_micros()
}

fn main() {
    let first = draw();
    let second = draw();
    println!("first draw {first} us, second draw {second} us");
}
