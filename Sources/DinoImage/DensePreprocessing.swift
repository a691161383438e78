/// The transform for patch features (the DINOv2 authors' patch-feature demo): resize so the short side is
/// `resolution` with PIL's bicubic filter, centre-crop each side down to a multiple of the patch size (no square
/// crop), scale to [0, 1] and normalise per channel. EXIF orientation applies first, as everywhere.
///
/// ```swift
/// let dense = DensePreprocessing(resolution: 448)
/// let input = try dense.load(contentsOf: "cat.jpg")   // input.height × input.width, both multiples of 14
/// ```
public struct DensePreprocessing: Sendable {
    /// The short side after resizing (14…2048).
    public var resolution: Int
    /// The model's patch size: each side is cropped to a multiple of it.
    public var patchSize: Int
    /// Normalisation and decoding settings (mean, std, full-size decoding, pixel limit) shared with `Preprocessing`.
    public var normalization: Preprocessing

    /// Resolutions `dinosearch patches` accepts: at least one patch, at most 2048 (about 21,000 tokens).
    public static let resolutions = 14...2048

    public init(resolution: Int = 448, patchSize: Int = 14, fullSizeDecode: Bool = false) {
        precondition(Self.resolutions.contains(resolution) && patchSize > 0, "resolution outside 14...2048")
        self.resolution = resolution
        self.patchSize = patchSize
        normalization = Preprocessing(fullSizeDecode: fullSizeDecode)
    }

    /// The decoder this transform uses (JPEG and WebP decoded at the smallest scale that still covers the
    /// resolution unless `fullSizeDecode`).
    public var decoder: ImageDecoder {
        ImageDecoder(maxPixels: normalization.maxPixels,
                     minimumShortSide: normalization.fullSizeDecode ? nil : resolution)
    }

    /// Decodes and transforms an image file.
    public func load(contentsOf path: String) throws(ImageError) -> DenseImage {
        prepare(try decoder.decode(contentsOf: path))
    }

    /// Decodes and transforms an image held in memory.
    public func load(_ bytes: [UInt8]) throws(ImageError) -> DenseImage {
        prepare(try decoder.decode(bytes))
    }

    /// Transforms a decoded image.
    public func prepare(_ decoded: DecodedImage) -> DenseImage {
        let (rgb, width, height) = cropped(decoded.image)
        return DenseImage(
            pixels: normalization.normalized(rgb), rgb: rgb, inputWidth: width, inputHeight: height,
            width: decoded.width, height: decoded.height, format: decoded.format, warning: decoded.warning)
    }

    /// The 8-bit RGB input after the resize and the crop, with its size.
    public func cropped(_ image: RGBImage) -> (rgb: [UInt8], width: Int, height: Int) {
        let (width, height) = Preprocessing.resizedSize(width: image.width, height: image.height, shortSide: resolution)
        let cropWidth = max(patchSize, width - width % patchSize), cropHeight = max(patchSize, height - height % patchSize)
        let rgb = Resampler.resize(
            image, width: width, height: height, cropX: Preprocessing.centreOffset(width, cropWidth),
            cropY: Preprocessing.centreOffset(height, cropHeight), cropWidth: cropWidth, cropHeight: cropHeight)
        return (rgb, cropWidth, cropHeight)
    }
}

/// An image ready for a dense forward pass.
public struct DenseImage: Sendable {
    /// `3 × inputHeight × inputWidth` floats, channels first, normalised.
    public var pixels: [Float]
    /// The same input as 8-bit RGB, rows packed (what a side-by-side picture shows).
    public var rgb: [UInt8]
    /// The encoder input's size: multiples of the patch size.
    public var inputWidth: Int, inputHeight: Int
    /// The picture's full size as a viewer shows it (before any downscaling).
    public var width: Int, height: Int
    public var format: ImageFormat
    /// Set when the file was damaged but still gave a usable picture.
    public var warning: String?
}
