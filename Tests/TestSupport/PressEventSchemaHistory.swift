/// Schema texts producers registered under `button_presses-value` before the current one.
///
/// Frozen: events framed with their ids stay in the topic, so the current schema must stay
/// compatible with them, and our readers must keep decoding them. Never edit a text here;
/// add the next one instead.
public enum PressEventSchemaHistory {
    /// Version 1: `uuid` and `timestamp-micros` on the types, which made Python's Avro
    /// readers return `UUID` and `datetime` objects.
    public static let v1 = """
        {"type":"record","name":"button_presses","doc":"Web app interactions","fields":[\
        {"name":"session_id","type":{"type":"string","logicalType":"uuid"}},\
        {"name":"timestamp","type":{"type":"long","logicalType":"timestamp-micros"}},\
        {"name":"action","type":"string"},\
        {"name":"country_name","type":"string"},\
        {"name":"country_code","type":"string"},\
        {"name":"subdivision_name","type":"string"},\
        {"name":"subdivision_code","type":"string"},\
        {"name":"city_name","type":"string"},\
        {"name":"cohort","type":["null","int"],"default":null}]}
        """

    /// Version 2: the logical types as field attributes, `cohort` last; what readers built
    /// before `is_bot` (version 3) have.
    public static let v2 = """
        {"type":"record","name":"button_presses","doc":"Web app interactions","fields":[\
        {"name":"session_id","type":"string","logicalType":"uuid"},\
        {"name":"timestamp","type":"long","logicalType":"timestamp-micros"},\
        {"name":"action","type":"string"},\
        {"name":"country_name","type":"string"},\
        {"name":"country_code","type":"string"},\
        {"name":"subdivision_name","type":"string"},\
        {"name":"subdivision_code","type":"string"},\
        {"name":"city_name","type":"string"},\
        {"name":"cohort","type":["null","int"],"default":null}]}
        """
}
