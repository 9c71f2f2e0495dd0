/// The world map's colours.
///
/// Countries use viridis (van der Walt and Smith's matplotlib colour map) reversed: its
/// lightness rises steadily, so order survives colour-blindness, greyscale and a washed-out
/// projector, and more presses read as darker. The no-data grey and the sea sit outside its
/// hues.
enum MapPalette {
    /// Grey for countries without a value: lighter than any dark end, greyer than the light end.
    static let noData = "#d0d0d0"
    static let sea = "#eef3f7"

    /// Viridis sampled at 0, 1/8 … 1, as 0xRRGGBB.
    private static let viridis: [UInt32] = [
        0x44_01_54, 0x47_2d_7b, 0x3b_52_8b, 0x2c_72_8e, 0x21_91_8c, 0x28_ae_80, 0x5e_c9_62, 0xad_dc_30, 0xfd_e7_25,
    ]

    /// The colour at a position on the scale: 0 is the lowest value (light yellow), 1 the
    /// highest (dark purple); interpolated between samples in sRGB, as a gradient is.
    static func colour(at position: Double) -> String {
        let t = position.isFinite ? min(1, max(0, position)) : 0
        let x = (1 - t) * Double(viridis.count - 1)
        let index = min(Int(x), viridis.count - 2)
        let fraction = x - Double(index)
        let from = viridis[index]
        let to = viridis[index + 1]
        var hex = "#"
        for shift in [16, 8, 0] as [UInt32] {
            let a = Double((from >> shift) & 0xff)
            let b = Double((to >> shift) & 0xff)
            let channel = Int((a + (b - a) * fraction).rounded())
            let digits = String(channel, radix: 16)
            hex += channel < 16 ? "0" + digits : digits
        }
        return hex
    }
}
