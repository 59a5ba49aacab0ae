//! A recipient's photo of what arrived: whatever a phone sent (JPEG or PNG, up to 15 MB), kept
//! as a JPEG of at most 2,048 px on its longer side, turned upright, with no metadata (the
//! camera's position, owner and serial never reach the database).

use super::Invalid;
use image::{DynamicImage, ImageDecoder, ImageReader};
use std::io::Cursor;

/// A re-encoded photo: JPEG bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Photo(Vec<u8>);

impl Photo {
    /// Phones take 4–12 MB pictures; this leaves room.
    pub const MAX_UPLOAD: usize = 15 * 1024 * 1024;
    /// The longer side kept.
    pub const MAX_SIDE: u32 = 2048;

    /// Decodes, turns upright, shrinks and re-encodes an upload. Refuses what is not a JPEG or
    /// PNG picture, and pictures whose pixels would not fit in memory (a decompression bomb).
    pub fn from_upload(bytes: &[u8]) -> Result<Photo, Invalid> {
        if bytes.len() > Self::MAX_UPLOAD {
            return Err(Invalid::new("photo.too_large"));
        }
        let not_a_photo = |_| Invalid::new("photo.not_a_photo");
        let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(not_a_photo)?;
        if !matches!(reader.format(), Some(image::ImageFormat::Jpeg | image::ImageFormat::Png)) {
            return Err(Invalid::new("photo.not_a_photo"));
        }
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(12_000);
        limits.max_image_height = Some(12_000);
        limits.max_alloc = Some(256 * 1024 * 1024);
        reader.limits(limits);
        let mut decoder = reader.into_decoder().map_err(|_| Invalid::new("photo.not_a_photo"))?;
        let orientation = decoder.orientation().map_err(|_| Invalid::new("photo.not_a_photo"))?;
        let mut picture = DynamicImage::from_decoder(decoder).map_err(|_| Invalid::new("photo.not_a_photo"))?;
        picture.apply_orientation(orientation);
        if picture.width().max(picture.height()) > Self::MAX_SIDE {
            picture = picture.resize(Self::MAX_SIDE, Self::MAX_SIDE, image::imageops::FilterType::Triangle);
        }
        let mut out = Vec::new();
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82);
        picture.into_rgb8().write_with_encoder(encoder).map_err(|_| Invalid::new("photo.not_a_photo"))?;
        Ok(Photo(out))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

impl std::fmt::Debug for Photo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Photo({} bytes)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let picture =
            image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(picture).write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png).expect("png");
        out
    }

    #[test]
    fn a_large_picture_is_shrunk_to_a_jpeg_and_other_files_are_refused() {
        let photo = Photo::from_upload(&png(3000, 1500)).expect("a photo");
        assert!(photo.bytes().starts_with(&[0xFF, 0xD8, 0xFF]), "a JPEG");
        let kept = image::load_from_memory(photo.bytes()).expect("readable");
        assert_eq!((kept.width(), kept.height()), (2048, 1024));
        let small = Photo::from_upload(&png(640, 480)).expect("a photo");
        let kept = image::load_from_memory(small.bytes()).expect("readable");
        assert_eq!((kept.width(), kept.height()), (640, 480), "a small picture keeps its size");
        assert_eq!(Photo::from_upload(b"%PDF-1.4 not a picture").err().map(|e| e.key), Some("photo.not_a_photo"));
        assert_eq!(Photo::from_upload(&[0xFF, 0xD8, 0xFF, 0x00]).err().map(|e| e.key), Some("photo.not_a_photo"));
        assert_eq!(Photo::from_upload(&vec![0u8; Photo::MAX_UPLOAD + 1]).err().map(|e| e.key), Some("photo.too_large"));
    }
}
