//! Photo stories: decode with limits, apply EXIF orientation, and re-encode so that no metadata
//! survives. Only the display rendition and the thumbnail are kept; the original is dropped.

use std::io::Cursor;

use fast_image_resize::images::Image as ResizeImage;
use fast_image_resize::{IntoImageView, ResizeOptions, Resizer};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};
use storybank_domain::EncodedImage;

use crate::Limits;
use crate::error::{IngestError, IngestErrorKind};

/// Longest side of the display rendition, in pixels.
pub const DISPLAY_MAX_SIDE: u32 = 1600;
/// Longest side of the thumbnail, in pixels.
pub const THUMBNAIL_MAX_SIDE: u32 = 320;
const DISPLAY_QUALITY: u8 = 82;
const THUMBNAIL_QUALITY: u8 = 78;

/// The renditions of one image, and what was removed from it.
#[derive(Debug)]
pub struct Renditions {
    /// At most [`DISPLAY_MAX_SIDE`] on its longer side; JPEG without metadata.
    pub display: EncodedImage,
    /// At most [`THUMBNAIL_MAX_SIDE`] on its longer side; JPEG without metadata.
    pub thumbnail: EncodedImage,
    /// Whether the original carried EXIF, XMP or IPTC metadata (now gone).
    pub had_metadata: bool,
}

/// Names what a file is by its first bytes, for the formats people most often mistake for photos.
fn describe_content(bytes: &[u8]) -> String {
    let start = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
    let text_start = start.trim_start_matches('\u{feff}').trim_start();
    if text_start.starts_with("<svg") || (text_start.starts_with("<?xml") && start.contains("<svg")) {
        return "an SVG drawing".into();
    }
    if text_start.starts_with('<') {
        return "an HTML or XML document".into();
    }
    match image::guess_format(bytes) {
        Ok(format) => format!("a {} image", format.extensions_str().first().unwrap_or(&"?").to_uppercase()),
        Err(_) if bytes.starts_with(b"%PDF") => "a PDF document".into(),
        Err(_) if std::str::from_utf8(bytes).is_ok() => "a text file".into(),
        Err(_) => "of an unknown type".into(),
    }
}

/// Decodes an image (JPEG, PNG or WebP by content), uprights it and makes its renditions.
pub fn process_image(bytes: &[u8], limits: &Limits) -> Result<Renditions, IngestError> {
    let size = bytes.len() as u64;
    if size > limits.max_image_bytes {
        return Err(IngestErrorKind::TooLarge { size, max: limits.max_image_bytes, what: "images" }.into());
    }
    let format = match image::guess_format(bytes) {
        Ok(format @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)) => format,
        _ => return Err(IngestErrorKind::UnsupportedImage(describe_content(bytes)).into()),
    };
    let bad_image = |err: image::ImageError| IngestError::new(IngestErrorKind::BadImage(err.to_string()));
    // The JPEG decoder fills a cut-short scan with grey instead of failing; refuse it instead.
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(IngestErrorKind::BadImage("the JPEG ends before its end-of-image marker".into()).into());
    }

    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(limits.max_image_side);
    decoder_limits.max_image_height = Some(limits.max_image_side);
    decoder_limits.max_alloc = Some(limits.max_image_alloc);
    reader.limits(decoder_limits);
    let too_many_pixels = |width: u32, height: u32| IngestErrorKind::TooManyPixels {
        width,
        height,
        max_side: limits.max_image_side,
        max_megapixels: u32::try_from(limits.max_image_pixels / 1_000_000).unwrap_or(u32::MAX),
    };

    let mut decoder = match reader.into_decoder() {
        Ok(decoder) => decoder,
        Err(image::ImageError::Limits(_)) => {
            // The limits refused the header; read the size again without decoding to say it.
            let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
                .into_dimensions()
                .unwrap_or((u32::MAX, u32::MAX));
            return Err(too_many_pixels(width, height).into());
        }
        Err(err) => return Err(bad_image(err)),
    };
    let (width, height) = decoder.dimensions();
    if width == 0
        || height == 0
        || width > limits.max_image_side
        || height > limits.max_image_side
        || u64::from(width) * u64::from(height) > limits.max_image_pixels
    {
        return Err(too_many_pixels(width, height).into());
    }
    let had_metadata = decoder.exif_metadata().ok().flatten().is_some()
        || decoder.xmp_metadata().ok().flatten().is_some()
        || decoder.iptc_metadata().ok().flatten().is_some();
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut decoded = DynamicImage::from_decoder(decoder).map_err(bad_image)?;
    decoded.apply_orientation(orientation);

    // JPEG has no alpha: flatten transparent pixels onto white, so they do not turn black.
    let rgb = flatten_to_rgb(decoded);
    let display = fit_within(&rgb, DISPLAY_MAX_SIDE)?;
    let thumbnail = fit_within(&display, THUMBNAIL_MAX_SIDE)?;
    Ok(Renditions {
        display: encode_jpeg(&display, DISPLAY_QUALITY)?,
        thumbnail: encode_jpeg(&thumbnail, THUMBNAIL_QUALITY)?,
        had_metadata,
    })
}

/// Whether a JPEG's image data runs to an end-of-image marker (`FF D9`) after its first scan. Walks
/// the marker segments so that a thumbnail's marker inside the EXIF block does not count.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let mut position = 2; // after SOI
    while position + 4 <= bytes.len() {
        if bytes[position] != 0xFF {
            return false;
        }
        let marker = bytes[position + 1];
        if marker == 0xFF {
            position += 1; // fill byte
            continue;
        }
        let length = usize::from(u16::from_be_bytes([bytes[position + 2], bytes[position + 3]]));
        if marker == 0xDA {
            let scan = &bytes[(position + 2 + length).min(bytes.len())..];
            return scan.windows(2).any(|pair| pair == [0xFF, 0xD9]);
        }
        position += 2 + length;
    }
    false
}

fn flatten_to_rgb(image: DynamicImage) -> DynamicImage {
    if !image.color().has_alpha() {
        return DynamicImage::ImageRgb8(image.into_rgb8());
    }
    let rgba = image.into_rgba8();
    let (width, height) = rgba.dimensions();
    let mut rgb = image::RgbImage::new(width, height);
    for (target, source) in rgb.pixels_mut().zip(rgba.pixels()) {
        let [r, g, b, a] = source.0;
        let blend =
            |channel: u8| ((u16::from(channel) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        *target = image::Rgb([blend(r), blend(g), blend(b)]);
    }
    DynamicImage::ImageRgb8(rgb)
}

/// Scales `image` down so its longer side is at most `max_side`; smaller images are kept as they are.
fn fit_within(image: &DynamicImage, max_side: u32) -> Result<DynamicImage, IngestError> {
    let (width, height) = (image.width(), image.height());
    if width <= max_side && height <= max_side {
        return Ok(image.clone());
    }
    let scale = f64::from(max_side) / f64::from(width.max(height));
    let new_width = ((f64::from(width) * scale).round() as u32).clamp(1, max_side);
    let new_height = ((f64::from(height) * scale).round() as u32).clamp(1, max_side);
    let resize_error =
        |err: &dyn std::fmt::Display| IngestError::new(IngestErrorKind::BadImage(err.to_string()));
    let pixel_type = image.pixel_type().ok_or_else(|| resize_error(&"unsupported pixel type"))?;
    let mut target = ResizeImage::new(new_width, new_height, pixel_type);
    // Supersampling first picks pixels down to twice the target size, then filters: nearly the
    // quality of a full convolution at a fraction of the cost for large reductions.
    let options = ResizeOptions::new().resize_alg(fast_image_resize::ResizeAlg::SuperSampling(
        fast_image_resize::FilterType::CatmullRom,
        2,
    ));
    Resizer::new().resize(image, &mut target, &options).map_err(|err| resize_error(&err))?;
    let buffer = image::RgbImage::from_raw(new_width, new_height, target.into_vec())
        .ok_or_else(|| resize_error(&"resized buffer has the wrong size"))?;
    Ok(DynamicImage::ImageRgb8(buffer))
}

/// Encodes RGB pixels as a baseline JPEG with no metadata segments at all (only the JFIF header).
fn encode_jpeg(image: &DynamicImage, quality: u8) -> Result<EncodedImage, IngestError> {
    let encode_error =
        |err: &dyn std::fmt::Display| IngestError::new(IngestErrorKind::BadImage(err.to_string()));
    let rgb = image.as_rgb8().ok_or_else(|| encode_error(&"expected RGB pixels"))?;
    let (width, height) = rgb.dimensions();
    let side = |value: u32| u16::try_from(value).map_err(|_| encode_error(&"image too large to encode"));
    let mut bytes = Vec::new();
    jpeg_encoder::Encoder::new(&mut bytes, quality)
        .encode(rgb.as_raw(), side(width)?, side(height)?, jpeg_encoder::ColorType::Rgb)
        .map_err(|err| encode_error(&err))?;
    Ok(EncodedImage { bytes, mime: "image/jpeg", width, height })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            width,
            height,
            image::Rgba([10, 20, 30, 0]),
        ));
        let mut bytes = Vec::new();
        image.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png).unwrap();
        bytes
    }

    #[test]
    fn renditions_fit_their_boxes_and_keep_aspect() {
        let renditions = process_image(&png(2000, 1000), &Limits::default()).unwrap();
        assert_eq!((renditions.display.width, renditions.display.height), (1600, 800));
        assert_eq!((renditions.thumbnail.width, renditions.thumbnail.height), (320, 160));
        assert_eq!(image::guess_format(&renditions.display.bytes).unwrap(), ImageFormat::Jpeg);
        // Transparent pixels become white, not black.
        let thumb = image::load_from_memory(&renditions.thumbnail.bytes).unwrap().into_rgb8();
        assert!(thumb.get_pixel(10, 10).0.iter().all(|c| *c > 240), "{:?}", thumb.get_pixel(10, 10));
    }

    #[test]
    fn small_images_are_not_enlarged() {
        let renditions = process_image(&png(100, 50), &Limits::default()).unwrap();
        assert_eq!((renditions.display.width, renditions.display.height), (100, 50));
        assert_eq!((renditions.thumbnail.width, renditions.thumbnail.height), (100, 50));
    }

    #[test]
    fn refuses_what_is_not_a_photo() {
        for (bytes, expected) in [
            (
                &b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"[..],
                "the file is an SVG drawing",
            ),
            (b"just some words", "the file is a text file"),
            (b"GIF89a\x01\x00\x01\x00", "the file is a GIF image"),
            (b"%PDF-1.4", "the file is a PDF document"),
        ] {
            let err = process_image(bytes, &Limits::default()).unwrap_err().to_string();
            assert!(err.starts_with(expected), "{err}");
        }
    }

    #[test]
    fn refuses_a_cut_short_jpeg() {
        let image = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(64, 64, image::Rgb([200, 10, 10])));
        let mut jpeg = Vec::new();
        image.write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg).unwrap();
        assert!(process_image(&jpeg, &Limits::default()).is_ok());
        let err = process_image(&jpeg[..jpeg.len() - 40], &Limits::default()).unwrap_err();
        assert!(matches!(err.kind, IngestErrorKind::BadImage(_)), "{err:?}");
    }

    #[test]
    fn refuses_images_over_the_limits() {
        let limits = Limits { max_image_side: 500, ..Limits::default() };
        let err = process_image(&png(600, 10), &limits).unwrap_err();
        assert!(matches!(err.kind, IngestErrorKind::TooManyPixels { width: 600, height: 10, .. }), "{err:?}");
        let limits = Limits { max_image_bytes: 10, ..Limits::default() };
        assert!(matches!(
            process_image(&png(5, 5), &limits).unwrap_err().kind,
            IngestErrorKind::TooLarge { .. }
        ));
    }
}
