/// The RelaxNG schema of the SVG subset vmmap writes, embedded so that validation works from
/// any directory. A copy of `docs/schema/svg-subset.rng`, byte for byte once the literal's
/// four-space indentation is stripped: `SVGValidatorTests.embeddedSchemaMatchesTheFile` fails
/// when the two differ. After editing the file, paste it between the delimiters below,
/// indented by four spaces (`sed 's/^./    &/' docs/schema/svg-subset.rng`).
enum SVGSchema {
  static let path = "docs/schema/svg-subset.rng"

  static let text = #"""
    <?xml version="1.0" encoding="UTF-8"?>
    <!--
      The SVG subset vmmap writes (Sources/VMReport/SVG), and nothing more: no script, no
      foreignObject, no event attributes, no href or any other reference, no id. Every figure is
      validated against this schema before it is written; a figure that fails fails the report.
      Sources/VMReport/SVG/SVGSchema.swift embeds a copy; SVGSchemaTests checks that they agree.
    -->
    <grammar xmlns="http://relaxng.org/ns/structure/1.0"
             ns="http://www.w3.org/2000/svg"
             datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes">
      <start>
        <element name="svg">
          <attribute name="viewBox">
            <data type="string">
              <param name="pattern">0 0 [0-9]+(\.[0-9]{1,2})? [0-9]+(\.[0-9]{1,2})?</param>
            </data>
          </attribute>
          <attribute name="width"><ref name="length"/></attribute>
          <attribute name="height"><ref name="length"/></attribute>
          <attribute name="role"><value>img</value></attribute>
          <attribute name="class"><value>vmfig</value></attribute>
          <element name="title"><text/></element>
          <element name="desc"><text/></element>
          <element name="style"><text/></element>
          <zeroOrMore><ref name="graphic"/></zeroOrMore>
        </element>
      </start>

      <define name="graphic">
        <choice>
          <ref name="g"/>
          <ref name="rect"/>
          <ref name="line"/>
          <ref name="polyline"/>
          <ref name="polygon"/>
          <ref name="circle"/>
          <ref name="text"/>
        </choice>
      </define>

      <!-- A group: a tooltip (its <title>) over the shapes and text inside. -->
      <define name="g">
        <element name="g">
          <optional><attribute name="class"><ref name="classes"/></attribute></optional>
          <optional><ref name="tooltip"/></optional>
          <zeroOrMore><ref name="graphic"/></zeroOrMore>
        </element>
      </define>

      <define name="tooltip">
        <element name="title"><text/></element>
      </define>

      <define name="rect">
        <element name="rect">
          <attribute name="class"><ref name="classes"/></attribute>
          <attribute name="x"><ref name="number"/></attribute>
          <attribute name="y"><ref name="number"/></attribute>
          <attribute name="width"><ref name="length"/></attribute>
          <attribute name="height"><ref name="length"/></attribute>
          <optional><attribute name="rx"><ref name="length"/></attribute></optional>
          <optional><ref name="tooltip"/></optional>
        </element>
      </define>

      <define name="line">
        <element name="line">
          <attribute name="class"><ref name="classes"/></attribute>
          <attribute name="x1"><ref name="number"/></attribute>
          <attribute name="y1"><ref name="number"/></attribute>
          <attribute name="x2"><ref name="number"/></attribute>
          <attribute name="y2"><ref name="number"/></attribute>
        </element>
      </define>

      <define name="polyline">
        <element name="polyline">
          <attribute name="class"><ref name="classes"/></attribute>
          <attribute name="points"><ref name="points"/></attribute>
        </element>
      </define>

      <define name="polygon">
        <element name="polygon">
          <attribute name="class"><ref name="classes"/></attribute>
          <attribute name="points"><ref name="points"/></attribute>
        </element>
      </define>

      <define name="circle">
        <element name="circle">
          <attribute name="class"><ref name="classes"/></attribute>
          <attribute name="cx"><ref name="number"/></attribute>
          <attribute name="cy"><ref name="number"/></attribute>
          <attribute name="r"><ref name="length"/></attribute>
        </element>
      </define>

      <!-- Text: characters only, no child elements (a tooltip goes on an enclosing g). -->
      <define name="text">
        <element name="text">
          <optional><attribute name="class"><ref name="classes"/></attribute></optional>
          <attribute name="x"><ref name="number"/></attribute>
          <attribute name="y"><ref name="number"/></attribute>
          <text/>
        </element>
      </define>

      <!-- Values: what SVGNumber writes (at most two decimals, no exponent, no unit). -->
      <define name="number">
        <data type="string"><param name="pattern">-?[0-9]+(\.[0-9]{1,2})?</param></data>
      </define>
      <define name="length">
        <data type="string"><param name="pattern">[0-9]+(\.[0-9]{1,2})?</param></data>
      </define>
      <define name="points">
        <data type="string">
          <param name="pattern">-?[0-9]+(\.[0-9]{1,2})?,-?[0-9]+(\.[0-9]{1,2})?( -?[0-9]+(\.[0-9]{1,2})?,-?[0-9]+(\.[0-9]{1,2})?)+</param>
        </data>
      </define>
      <!-- Class names from SVGStyle: lowercase words, digits and hyphens, space-separated. -->
      <define name="classes">
        <data type="string"><param name="pattern">[a-z][a-z0-9\-]*( [a-z][a-z0-9\-]*)*</param></data>
      </define>
    </grammar>

    """#
}
