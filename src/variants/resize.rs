//! Makes one variant's bytes from the original's, by the rules of Ghost's image transform
//! (sharp): EXIF orientation applied and metadata dropped; a width or a height alone keeps the
//! aspect ratio, both crop to fill from the centre; never enlarged; Lanczos3; the output keeps
//! the original's format unless a `format/` is asked; without a format change the smaller of
//! the resized and the original bytes is kept. Pure: bytes in, bytes out.

use super::Dim;
use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};
use std::io::Cursor;

/// A made variant.
#[derive(Debug)]
pub struct Made {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    /// False when the original's bytes were kept (the resized copy was not smaller).
    pub resized: bool,
    pub width: u32,
    pub height: u32,
}

/// Why a variant could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ResizeError {
    #[error("cannot decode the original: {0}")]
    Decode(image::ImageError),
    #[error("cannot resize: {0}")]
    Resize(String),
    #[error("cannot encode {format}: {source}")]
    Encode {
        format: &'static str,
        source: image::ImageError,
    },
    #[error("no encoder for {0}")]
    Unsupported(String),
}

/// Output format by name (`jpg`, `jpeg`, `png`, `webp`, `gif`) or by extension (`.jpg`).
fn format_of(name: &str) -> Option<(ImageFormat, &'static str)> {
    match name.trim_start_matches('.') {
        "jpg" | "jpeg" => Some((ImageFormat::Jpeg, "image/jpeg")),
        "png" => Some((ImageFormat::Png, "image/png")),
        "webp" => Some((ImageFormat::WebP, "image/webp")),
        "gif" => Some((ImageFormat::Gif, "image/gif")),
        _ => None,
    }
}

/// The size sharp's `resize(width, height, {withoutEnlargement: true})` produces, and whether
/// the source is cropped to fill (both dimensions given).
pub fn target(ow: u32, oh: u32, dim: Dim) -> (u32, u32) {
    let round = |x: f64| (x.round() as u32).max(1);
    match (dim.width, dim.height) {
        (Some(w), None) if w < ow => (w, round(oh as f64 * w as f64 / ow as f64)),
        (None, Some(h)) if h < oh => (round(ow as f64 * h as f64 / oh as f64), h),
        (Some(w), Some(h)) if w <= ow && h <= oh => (w, h),
        _ => (ow, oh),
    }
}

/// Resizes `original` (a file with extension `ext`) to `dim`, converted to `format` if given.
pub fn resize(
    original: &[u8],
    ext: &str,
    dim: Dim,
    format: Option<&str>,
) -> Result<Made, ResizeError> {
    let (out_format, content_type) = format_of(format.unwrap_or(ext))
        .ok_or_else(|| ResizeError::Unsupported(format.unwrap_or(ext).to_string()))?;
    let mut decoder = ImageReader::new(Cursor::new(original))
        .with_guessed_format()
        .map_err(|e| ResizeError::Decode(e.into()))?
        .into_decoder()
        .map_err(ResizeError::Decode)?;
    let orientation = decoder.orientation().map_err(ResizeError::Decode)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(ResizeError::Decode)?;
    img.apply_orientation(orientation);
    let (w, h) = target(img.width(), img.height(), dim);
    let out = if (w, h) == (img.width(), img.height()) {
        img
    } else {
        let src = match img {
            // fast_image_resize works on 8/16-bit channels; 32-bit float images go to 16-bit.
            DynamicImage::ImageRgb32F(_) => DynamicImage::ImageRgb16(img.to_rgb16()),
            DynamicImage::ImageRgba32F(_) => DynamicImage::ImageRgba16(img.to_rgba16()),
            other => other,
        };
        let mut dst = DynamicImage::new(w, h, src.color());
        let opts = ResizeOptions::new()
            .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
            .fit_into_destination(Some((0.5, 0.5)));
        Resizer::new()
            .resize(&src, &mut dst, &opts)
            .map_err(|e| ResizeError::Resize(e.to_string()))?;
        dst
    };
    let (width, height) = (out.width(), out.height());
    let bytes = encode(out, out_format)?;
    if format.is_none() && bytes.len() >= original.len() {
        return Ok(Made {
            bytes: original.to_vec(),
            content_type,
            resized: false,
            width,
            height,
        });
    }
    Ok(Made {
        bytes,
        content_type,
        resized: true,
        width,
        height,
    })
}

fn encode(img: DynamicImage, format: ImageFormat) -> Result<Vec<u8>, ResizeError> {
    let mut buf = Cursor::new(Vec::new());
    let name = match format {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        ImageFormat::WebP => "WebP",
        _ => "GIF",
    };
    let err = |source| ResizeError::Encode {
        format: name,
        source,
    };
    match format {
        ImageFormat::Jpeg => {
            // sharp's default JPEG quality; JPEG has no alpha (sharp drops it too).
            let rgb = DynamicImage::ImageRgb8(img.to_rgb8());
            let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, 80);
            rgb.write_with_encoder(enc).map_err(err)?;
        }
        ImageFormat::WebP => {
            // The image crate encodes lossless WebP only; 8-bit RGB(A) as the encoder needs.
            let img = if img.color().has_alpha() {
                DynamicImage::ImageRgba8(img.to_rgba8())
            } else {
                DynamicImage::ImageRgb8(img.to_rgb8())
            };
            img.write_to(&mut buf, format).map_err(err)?;
        }
        ImageFormat::Gif => {
            DynamicImage::ImageRgba8(img.to_rgba8())
                .write_to(&mut buf, format)
                .map_err(err)?;
        }
        _ => img.write_to(&mut buf, format).map_err(err)?,
    }
    Ok(buf.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([
                (x * 255 / w) as u8,
                (y * 255 / h) as u8,
                ((x ^ y) & 0xff) as u8,
            ])
        });
        let mut buf = Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(img)
            .write_to(&mut buf, ImageFormat::Png)
            .unwrap();
        buf.into_inner()
    }

    fn dim(w: Option<u32>, h: Option<u32>) -> Dim {
        Dim {
            width: w,
            height: h,
        }
    }

    #[test]
    fn target_sizes_follow_sharp() {
        assert_eq!(target(1800, 1200, dim(Some(600), None)), (600, 400));
        assert_eq!(target(1801, 1200, dim(Some(600), None)), (600, 400));
        assert_eq!(target(500, 300, dim(Some(600), None)), (500, 300));
        assert_eq!(target(1800, 1200, dim(None, Some(300))), (450, 300));
        assert_eq!(target(1800, 1200, dim(Some(256), Some(256))), (256, 256));
        assert_eq!(target(100, 1200, dim(Some(256), Some(256))), (100, 1200));
    }

    #[test]
    fn resizes_keep_format_and_aspect_and_never_enlarge() {
        let src = png(1200, 800);
        let m = resize(&src, ".png", dim(Some(600), None), None).unwrap();
        assert_eq!((m.width, m.height), (600, 400));
        assert!(m.resized);
        assert_eq!(m.content_type, "image/png");
        let back = image::load_from_memory(&m.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (600, 400));

        let small = png(300, 200);
        let m = resize(&small, ".png", dim(Some(600), None), None).unwrap();
        assert_eq!((m.width, m.height), (300, 200));

        let m = resize(&src, ".png", dim(Some(256), Some(256)), Some("webp")).unwrap();
        assert_eq!(m.content_type, "image/webp");
        let back = image::load_from_memory_with_format(&m.bytes, ImageFormat::WebP).unwrap();
        assert_eq!((back.width(), back.height()), (256, 256));

        let m = resize(&src, ".png", dim(Some(600), None), Some("jpeg")).unwrap();
        assert_eq!(m.content_type, "image/jpeg");
        assert_eq!(&m.bytes[..2], &[0xff, 0xd8]);
    }

    #[test]
    fn a_corrupt_original_is_an_error_not_a_panic() {
        let e = resize(b"not an image at all", ".jpg", dim(Some(600), None), None).unwrap_err();
        assert!(matches!(e, ResizeError::Decode(_)), "{e}");
        let mut cut = png(100, 100);
        cut.truncate(cut.len() / 2);
        assert!(resize(&cut, ".png", dim(Some(50), None), None).is_err());
    }
}
