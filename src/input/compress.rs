//! Part of input: compressed files (`.gz`, `.zst`), read through a decompressor as they stream.

use crate::error::FileError;
use std::io::{BufRead, BufReader, Read};

/// How a raw file is compressed, by its last extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Not compressed.
    None,
    /// `.gz` (gzip; members joined by `cat` too).
    Gzip,
    /// `.zst` (zstd; frames one after another, as `cat a.zst b.zst` or `zstd -T0` make, and
    /// skippable frames, are read through).
    Zstd,
}

impl Compression {
    pub(crate) fn of(ext: &str) -> Compression {
        match ext.to_ascii_lowercase().as_str() {
            "gz" => Compression::Gzip,
            "zst" => Compression::Zstd,
            _ => Compression::None,
        }
    }

    pub(crate) fn suffix(self) -> &'static str {
        match self {
            Compression::None => "",
            Compression::Gzip => ".gz",
            Compression::Zstd => ".zst",
        }
    }

    /// `r`, decompressed.
    pub(crate) fn reader<'r>(self, r: impl Read + Send + 'r) -> Result<Box<dyn Read + Send + 'r>, FileError> {
        Ok(match self {
            Compression::None => Box::new(r),
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(r)),
            Compression::Zstd => {
                Box::new(ZstdFrames::new(BufReader::new(r)).map_err(|e| self.error(e.to_string()))?)
            }
        })
    }

    /// An error in the compressed data.
    pub(crate) fn error(self, message: String) -> FileError {
        let format = if self == Compression::Zstd { "zstd" } else { "gzip" };
        FileError::Compressed { format, message }
    }

    /// A read that failed: the file's own error, or, through a decompressor, its data's.
    pub(crate) fn read_error(self, e: &std::io::Error) -> FileError {
        match self {
            Compression::None => FileError::Io(e.to_string()),
            c => c.error(e.to_string()),
        }
    }
}

/// A zstd stream of any number of frames: `cat a.zst b.zst` and multi-threaded `zstd` write
/// several, and ruzstd's streaming decoder stops after one, so this drives its frame decoder
/// frame after frame until the input ends. Skippable frames (metadata some tools write) are
/// passed over.
struct ZstdFrames<R: BufRead> {
    source: R,
    decoder: ruzstd::decoding::FrameDecoder,
    /// A frame is being decoded.
    open: bool,
}

impl<R: BufRead> ZstdFrames<R> {
    fn new(source: R) -> std::io::Result<Self> {
        let mut z = ZstdFrames { source, decoder: ruzstd::decoding::FrameDecoder::new(), open: false };
        if !z.next_frame()? {
            return Err(std::io::Error::other("no zstd frame"));
        }
        Ok(z)
    }

    /// Start the next frame; false at the end of the input.
    fn next_frame(&mut self) -> std::io::Result<bool> {
        use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
        loop {
            if self.source.fill_buf()?.is_empty() {
                return Ok(false);
            }
            match self.decoder.init(&mut self.source) {
                Ok(()) => {
                    self.open = true;
                    return Ok(true);
                }
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let length = u64::from(length);
                    let skipped = std::io::copy(&mut (&mut self.source).take(length), &mut std::io::sink())?;
                    if skipped < length {
                        return Err(std::io::Error::other("a skippable frame is cut short"));
                    }
                }
                Err(e) => return Err(std::io::Error::other(e)),
            }
        }
    }
}

impl<R: BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if !self.open {
                if !self.next_frame()? {
                    return Ok(0);
                }
                continue;
            }
            let d = &mut self.decoder;
            while d.can_collect() == 0 && !d.is_finished() {
                d.decode_blocks(&mut self.source, ruzstd::decoding::BlockDecodingStrategy::UptoBlocks(1))
                    .map_err(std::io::Error::other)?;
            }
            let n = d.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            // The frame is done and drained: the next one, if any, follows.
            self.open = false;
        }
    }
}
