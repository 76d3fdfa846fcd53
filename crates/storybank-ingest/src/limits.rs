/// How much ingestion accepts. The defaults suit phones' photos and hour-long interviews; anything
/// larger is refused with a message that says the limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest text, transcript or manifest file, in bytes.
    pub max_text_bytes: u64,
    /// Largest image file, in bytes.
    pub max_image_bytes: u64,
    /// Largest image width or height, in pixels.
    pub max_image_side: u32,
    /// Largest image pixel count.
    pub max_image_pixels: u64,
    /// Most memory the image decoder may allocate, in bytes.
    pub max_image_alloc: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_text_bytes: 4 * 1024 * 1024,
            max_image_bytes: 40 * 1024 * 1024,
            max_image_side: 12_000,
            max_image_pixels: 60_000_000,
            max_image_alloc: 512 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// The largest file of any kind ingestion accepts: check it before reading a file into memory.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_text_bytes.max(self.max_image_bytes)
    }
}
