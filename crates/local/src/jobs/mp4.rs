//! A tiny, deterministic MP4: real `ftyp`, `moov` (movie and one video track header
//! with the requested duration, size and frame rate) and `mdat` boxes, so that tools and
//! clients that inspect a video file find a well-formed one. It carries no frames.

/// What the simulated video declares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Video {
    pub seconds: u32,
    pub fps: u32,
    pub width: u32,
    pub height: u32,
    /// Seeds the `mdat` payload, so that different requests give different files.
    pub seed: u64,
}

const MOVIE_TIMESCALE: u32 = 1000;
/// The identity transformation matrix of `mvhd` and `tkhd`.
const MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

fn boxed(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 8);
    out.extend_from_slice(&(payload.len() as u32 + 8).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(payload);
    out
}

fn full_box(kind: &[u8; 4], flags: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = flags.to_be_bytes().to_vec(); // version 0 in the top byte
    p.extend_from_slice(payload);
    boxed(kind, &p)
}

fn u32s(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

pub(crate) fn build(v: &Video) -> Vec<u8> {
    let duration = v.seconds * MOVIE_TIMESCALE;
    let ftyp = boxed(b"ftyp", b"isom\x00\x00\x02\x00isomiso2avc1mp41");

    let mut mvhd = u32s(&[0, 0, MOVIE_TIMESCALE, duration, 0x0001_0000]);
    mvhd.extend_from_slice(&[0x01, 0x00, 0, 0]); // volume 1.0, reserved
    mvhd.extend_from_slice(&[0; 8]);
    mvhd.extend_from_slice(&u32s(&MATRIX));
    mvhd.extend_from_slice(&[0; 24]); // pre_defined
    mvhd.extend_from_slice(&u32s(&[2])); // next_track_ID
    let mvhd = full_box(b"mvhd", 0, &mvhd);

    let mut tkhd = u32s(&[0, 0, 1, 0, duration, 0, 0]);
    tkhd.extend_from_slice(&[0; 8]); // layer, alternate_group, volume, reserved
    tkhd.extend_from_slice(&u32s(&MATRIX));
    tkhd.extend_from_slice(&u32s(&[v.width << 16, v.height << 16]));
    let tkhd = full_box(b"tkhd", 0x3, &tkhd); // enabled, in movie

    let mut mdhd = u32s(&[0, 0, v.fps, v.seconds * v.fps]);
    mdhd.extend_from_slice(&[0x55, 0xC4, 0, 0]); // language "und"
    let mdhd = full_box(b"mdhd", 0, &mdhd);
    let hdlr = full_box(
        b"hdlr",
        0,
        b"\0\0\0\0vide\0\0\0\0\0\0\0\0\0\0\0\0VideoHandler\0",
    );

    let vmhd = full_box(b"vmhd", 1, &[0; 8]);
    let dref = full_box(
        b"dref",
        0,
        &[&u32s(&[1])[..], &full_box(b"url ", 1, &[])].concat(),
    );
    let dinf = boxed(b"dinf", &dref);
    let stbl = boxed(
        b"stbl",
        &[
            full_box(b"stsd", 0, &u32s(&[0])),
            full_box(b"stts", 0, &u32s(&[0])),
            full_box(b"stsc", 0, &u32s(&[0])),
            full_box(b"stsz", 0, &u32s(&[0, 0])),
            full_box(b"stco", 0, &u32s(&[0])),
        ]
        .concat(),
    );
    let minf = boxed(b"minf", &[vmhd, dinf, stbl].concat());
    let mdia = boxed(b"mdia", &[mdhd, hdlr, minf].concat());
    let trak = boxed(b"trak", &[tkhd, mdia].concat());
    let moov = boxed(b"moov", &[mvhd, trak].concat());

    let mut state = v.seed | 1;
    let payload: Vec<u8> = (0..1024)
        .map(|_| {
            // xorshift64: cheap, deterministic filler
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let mdat = boxed(b"mdat", &payload);
    [ftyp, moov, mdat].concat()
}

/// Child boxes of a box payload (or of a whole file), as (type, payload).
fn children(mut data: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    while data.len() >= 8 {
        let size = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as usize;
        let kind = [data[4], data[5], data[6], data[7]];
        let (header, size) = match size {
            0 => (8, data.len()),
            1 if data.len() >= 16 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&data[8..16]);
                (
                    16,
                    usize::try_from(u64::from_be_bytes(b)).unwrap_or(usize::MAX),
                )
            }
            s => (8, s),
        };
        if size < header || size > data.len() {
            break;
        }
        out.push((kind, &data[header..size]));
        data = &data[size..];
    }
    out
}

/// The duration an MP4 (or MOV) file declares in its `mvhd`, in seconds.
pub(crate) fn duration_seconds(file: &[u8]) -> Option<f64> {
    let moov = children(file).into_iter().find(|(k, _)| k == b"moov")?.1;
    let mvhd = children(moov).into_iter().find(|(k, _)| k == b"mvhd")?.1;
    let be32 = |at: usize| -> Option<u64> {
        let b = mvhd.get(at..at + 4)?;
        Some(u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])))
    };
    let (timescale, duration) = match *mvhd.first()? {
        0 => (be32(12)?, be32(16)?),
        1 => (be32(20)?, (be32(24)? << 32) | be32(28)?),
        _ => return None,
    };
    (timescale > 0).then(|| duration as f64 / timescale as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_well_formed_file_that_reads_back() {
        let v = Video {
            seconds: 12,
            fps: 24,
            width: 1280,
            height: 720,
            seed: 7,
        };
        let file = build(&v);
        assert_eq!(&file[4..8], b"ftyp");
        let top: Vec<[u8; 4]> = children(&file).into_iter().map(|(k, _)| k).collect();
        assert_eq!(top, [*b"ftyp", *b"moov", *b"mdat"]);
        assert_eq!(duration_seconds(&file), Some(12.0));
        assert_eq!(build(&v), file, "deterministic");
        assert_ne!(build(&Video { seed: 8, ..v }), file);
        assert_eq!(duration_seconds(b"not a video"), None);
    }
}
