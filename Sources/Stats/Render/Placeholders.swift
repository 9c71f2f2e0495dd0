// TEMPORARY: lets the service compile until the chart and map helpers' files land; deleted at merge.
public import Foundation

public struct ChartDatum: Sendable, Equatable { public var label: String; public var value: Double; public init(label: String, value: Double) { self.label = label; self.value = value } }
public struct TimePoint: Sendable, Equatable { public var time: Date; public var value: Double; public init(time: Date, value: Double) { self.time = time; self.value = value } }
public struct XYPoint: Sendable, Equatable { public var x: Double; public var y: Double; public init(x: Double, y: Double) { self.x = x; self.y = y } }
public struct TimeMark: Sendable, Equatable { public var label: String; public var time: Date; public init(label: String, time: Date) { self.label = label; self.time = time } }
public struct IntervalDatum: Sendable, Equatable { public var label: String; public var mean: Double; public var low: Double; public var high: Double; public var count: Int; public init(label: String, mean: Double, low: Double, high: Double, count: Int) { self.label = label; self.mean = mean; self.low = low; self.high = high; self.count = count } }
public enum SVGChart {
    static func stub(_ title: String, _ items: [String]) -> String { "<svg xmlns=\"http://www.w3.org/2000/svg\"><title>\(HTML.escape(title))</title>" + items.map { "<text>\(HTML.escape($0))</text>" }.joined() + "</svg>" }
    public static func horizontalBars(_ data: [ChartDatum], title: String, unit: String) -> String { stub(title, data.map { "\($0.label) \($0.value)" }) }
    public static func columns(_ data: [ChartDatum], title: String, xLabel: String, yLabel: String) -> String { stub(title, data.map { "\($0.label) \($0.value)" }) }
    public static func timeSeries(_ points: [TimePoint], title: String, yLabel: String) -> String { stub(title, points.map { "\($0.value)" }) }
    public static func survival(_ points: [XYPoint], title: String, xLabel: String) -> String { stub(title, points.map { "\($0.x) \($0.y)" }) }
    public static func timeline(_ marks: [TimeMark], title: String) -> String { stub(title, marks.map(\.label)) }
    public static func intervals(_ rows: [IntervalDatum], title: String, xLabel: String) -> String { stub(title, rows.map { "\($0.label) \($0.mean)" }) }
}
public enum NumberText {
    public static func count(_ value: Int) -> String { String(value) }
    public static func decimal(_ value: Double, digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
    public static func percent(_ share: Double, digits: Int = 1) -> String { String(format: "%.\(digits)f%%", share * 100) }
}
