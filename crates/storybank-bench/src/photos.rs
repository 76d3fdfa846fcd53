//! Generated phone-camera photos: 12 megapixels, JPEG, with an EXIF block carrying GPS.

use std::fs;
use std::path::Path;

use anyhow::Result;
use image::codecs::jpeg::JpegEncoder;

use crate::corpus::Rng;

/// A minimal little-endian EXIF (TIFF) block: IFD0 with Make, ImageDescription and a GPS pointer;
/// a GPS IFD with latitude and longitude.
fn exif_block(description: &str) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    let make = b"BenchPhone\0";
    let description = format!("{description}\0").into_bytes();
    // IFD0: 3 entries at offset 8; data after it.
    let ifd0_len = 2 + 3 * 12 + 4;
    let make_offset = 8 + ifd0_len;
    let description_offset = make_offset + make.len();
    let gps_offset = description_offset + description.len();
    let entry = |tiff: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32| {
        tiff.extend_from_slice(&tag.to_le_bytes());
        tiff.extend_from_slice(&kind.to_le_bytes());
        tiff.extend_from_slice(&count.to_le_bytes());
        tiff.extend_from_slice(&value.to_le_bytes());
    };
    tiff.extend_from_slice(&3u16.to_le_bytes());
    entry(&mut tiff, 0x010E, 2, description.len() as u32, description_offset as u32);
    entry(&mut tiff, 0x010F, 2, make.len() as u32, make_offset as u32);
    entry(&mut tiff, 0x8825, 4, 1, gps_offset as u32);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(make);
    tiff.extend_from_slice(&description);
    // GPS IFD: 4 entries, then two rational triples.
    let gps_len = 2 + 4 * 12 + 4;
    let latitude_offset = gps_offset + gps_len;
    let longitude_offset = latitude_offset + 24;
    tiff.extend_from_slice(&4u16.to_le_bytes());
    entry(&mut tiff, 0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0"));
    entry(&mut tiff, 0x0002, 5, 3, latitude_offset as u32);
    entry(&mut tiff, 0x0003, 2, 2, u32::from_le_bytes(*b"E\0\0\0"));
    entry(&mut tiff, 0x0004, 5, 3, longitude_offset as u32);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    for (degrees, minutes, seconds) in [(60u32, 27u32, 49u32), (22, 16, 0)] {
        for value in [degrees, minutes, seconds] {
            tiff.extend_from_slice(&value.to_le_bytes());
            tiff.extend_from_slice(&1u32.to_le_bytes());
        }
    }
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
    segment.extend_from_slice(b"Exif\0\0");
    segment.extend_from_slice(&tiff);
    segment
}

/// Writes `count` distinct 4000x3000 JPEGs with GPS EXIF, and a manifest for each, into `dir`.
/// Returns the average file size.
pub fn write_photo_corpus(dir: &Path, count: usize) -> Result<u64> {
    let (width, height) = (4000u32, 3000u32);
    let mut rng = Rng::new(7);
    let noise: Vec<u8> = (0..4096).map(|_| (rng.next() % 24) as u8).collect();
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        let n = noise[((x * 31 + y * 17) % 4096) as usize];
        let sky = y < height / 2;
        let r = if sky { 120 + (y * 60 / height) as u8 } else { 60 + ((x / 40) % 40) as u8 };
        let g = if sky { 150 + (x * 50 / width) as u8 } else { 90 + ((y / 30) % 30) as u8 };
        let b = if sky { 200 } else { 50 + ((x + y) / 50 % 20) as u8 };
        image::Rgb([r.saturating_add(n), g.saturating_add(n), b.saturating_add(n)])
    });
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 88).encode_image(&picture)?;
    let mut total = 0;
    for index in 0..count {
        let mut file = jpeg[..2].to_vec();
        file.extend(exif_block(&format!("bench photo {index}")));
        file.extend_from_slice(&jpeg[2..]);
        total += file.len() as u64;
        fs::write(dir.join(format!("photo-{index:04}.jpg")), &file)?;
        let manifest = serde_json::json!({
            "title": format!("Bench photo {index}"),
            "form": "image",
            "file": format!("photo-{index:04}.jpg"),
            "caption": "The bus stop where I wait every morning, rain or shine.",
            "alt_text": "An empty bus stop under a pale sky, with a field behind it.",
            "language": "en",
            "consent": {"scope": "public", "identify_as": "anonymous", "given_on": "2024-05-01"},
        });
        fs::write(dir.join(format!("photo-{index:04}.story.json")), serde_json::to_vec(&manifest)?)?;
    }
    Ok(total / count.max(1) as u64)
}
