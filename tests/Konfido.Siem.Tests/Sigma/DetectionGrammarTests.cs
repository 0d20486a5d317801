using static Konfido.Siem.Tests.Sigma.SigmaTestKit;

namespace Konfido.Siem.Tests.Sigma;

// Examples from the Sigma rules specification v2.0.0 (SigmaHQ/sigma-specification,
// specification/sigma-rules-specification.md), sections "Lists", "Maps", "Special Field Values",
// "Field Existence", "Keywords search", "Condition", "Escaping" and "String Wildcard".
public sealed class DetectionGrammarTests
{
    [Fact]
    public void Map_items_are_and_and_list_values_are_or()
    {
        var rule = Detection("""
            selection:
              EventLog: Security
              EventID:
                - 517
                - 1102
            """);
        Assert.True(rule.Matches("""{"EventLog":"Security","EventID":517}"""));
        Assert.True(rule.Matches("""{"EventLog":"security","EventID":"1102"}"""));
        Assert.False(rule.Matches("""{"EventLog":"Security","EventID":4624}"""));
        Assert.False(rule.Matches("""{"EventLog":"System","EventID":517}"""));
        Assert.False(rule.Matches("""{"EventID":517}"""));
    }

    [Fact]
    public void List_of_maps_is_or()
    {
        var rule = Detection("""
            selection:
              - Image|endswith: '\example.exe'
              - Description|contains: 'Test executable'
            """);
        Assert.True(rule.Matches("""{"Image":"C:\\tools\\EXAMPLE.exe"}"""));
        Assert.True(rule.Matches("""{"Description":"A test executable for x"}"""));
        Assert.False(rule.Matches("""{"Image":"C:\\tools\\other.exe","Description":"none"}"""));
    }

    [Fact]
    public void Keywords_list_is_or_over_the_whole_event()
    {
        var rule = Detection("""
            keywords:
              - 'EVILSERVICE'
              - 'svchost.exe -n evil'
            """, "keywords");
        Assert.True(rule.Matches("""{"message":"service evilservice installed"}"""));
        Assert.True(rule.Matches("""{"process":{"command_line":"C:\\svchost.exe -n evil"}}"""));
        Assert.False(rule.Matches("""{"message":"svchost.exe -k netsvcs"}"""));
    }

    [Fact]
    public void Keywords_with_all_modifier_are_and()
    {
        var rule = Detection("""
            keywords_cmdlet:
              '|all':
                - 'OabVirtualDirectory'
                - ' -ExternalUrl '
            """, "keywords_cmdlet");
        Assert.True(rule.Matches("""{"message":"Set-OabVirtualDirectory -ExternalUrl http://x"}"""));
        Assert.False(rule.Matches("""{"message":"Set-OabVirtualDirectory -InternalUrl http://x"}"""));
    }

    [Fact]
    public void Null_value_matches_absent_or_null_field_and_empty_string_only_empty()
    {
        var rule = Detection("""
            selection:
              EventID: 4738
            filter:
              PasswordLastSet: null
            """, "selection and not filter");
        Assert.True(rule.Matches("""{"EventID":4738,"PasswordLastSet":"2024-01-01"}"""));
        Assert.False(rule.Matches("""{"EventID":4738}"""));
        Assert.False(rule.Matches("""{"EventID":4738,"PasswordLastSet":null}"""));

        var empty = Detection("""
            selection:
              Field: ''
            """);
        Assert.True(empty.Matches("""{"Field":""}"""));
        Assert.False(empty.Matches("""{"Field":"x"}"""));
        Assert.False(empty.Matches("""{}"""));
    }

    [Fact]
    public void Exists_modifier_tests_presence_only()
    {
        var rule = Detection("""
            selection:
              EventID: 4738
              PasswordLastSet|exists: true
            """);
        Assert.True(rule.Matches("""{"EventID":4738,"PasswordLastSet":""}"""));
        Assert.True(rule.Matches("""{"EventID":4738,"PasswordLastSet":null}"""));
        Assert.False(rule.Matches("""{"EventID":4738}"""));

        var absent = Detection("""
            selection:
              a|exists: false
            """);
        Assert.True(absent.Matches("""{"b":1}"""));
        Assert.False(absent.Matches("""{"a":1}"""));
    }

    [Theory]
    [InlineData("prog?.exe", "progA.exe", true)]
    [InlineData("prog?.exe", "progAB.exe", false)]
    [InlineData("antivirus_V*.exe", "antivirus_V21.2.1.exe", true)]
    [InlineData("antivirus_V*.exe", "antivirus_V1.exe", true)]
    [InlineData("antivirus_V*.exe", "antivirus_X1.exe", false)]
    [InlineData("a*b*c", "aXXbYYc", true)]
    [InlineData("a*b*c", "aXXcYYb", false)]
    [InlineData("*", "", true)]
    public void Wildcards(string pattern, string value, bool expected)
    {
        var rule = Detection($"""
            selection:
              f: '{pattern}'
            """);
        Assert.Equal(expected, rule.Matches($$"""{"f":"{{value}}"}"""));
    }

    [Theory]
    // Plain backslash not followed by a wildcard: single or double.
    [InlineData(@"C:\Windows", @"C:\Windows", true)]
    [InlineData(@"C:\\Windows", @"C:\Windows", true)]
    // Escaped wildcard is a plain character.
    [InlineData(@"what\?", "what?", true)]
    [InlineData(@"what\?", "whatX", false)]
    [InlineData(@"a\*b", "a*b", true)]
    [InlineData(@"a\*b", "axxb", false)]
    // Escaped backslash before a wildcard: backslash then wildcard.
    [InlineData(@"dir\\*", @"dir\anything", true)]
    [InlineData(@"dir\\*", "dirX", false)]
    // Three backslashes: plain backslash and plain star.
    [InlineData(@"x\\\*", @"x\*", true)]
    [InlineData(@"x\\\*", @"x\abc", false)]
    // Four backslashes are a double backslash.
    [InlineData(@"\\\\srv", @"\\srv", true)]
    public void Escaping(string pattern, string value, bool expected)
    {
        var rule = Detection($"""
            selection:
              f: '{pattern}'
            """);
        var json = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["f"] = value });
        Assert.Equal(expected, rule.Matches(json));
    }

    [Fact]
    public void Matching_is_case_insensitive_by_default_and_cased_is_case_sensitive()
    {
        var rule = Detection("""
            selection:
              f: 'CmD.exe'
            """);
        Assert.True(rule.Matches("""{"f":"cmd.EXE"}"""));

        var cased = Detection("""
            selection:
              f|cased: 'CmD.exe'
            """);
        Assert.True(cased.Matches("""{"f":"CmD.exe"}"""));
        Assert.False(cased.Matches("""{"f":"cmd.exe"}"""));
    }

    [Fact]
    public void Condition_precedence_not_binds_tighter_than_and_than_or()
    {
        // a or b and not c  ==  a or (b and (not c))
        var rule = Detection("""
            a:
              x: 1
            b:
              y: 1
            c:
              z: 1
            """, "a or b and not c");
        Assert.True(rule.Matches("""{"x":1,"z":1}"""));
        Assert.True(rule.Matches("""{"y":1}"""));
        Assert.False(rule.Matches("""{"y":1,"z":1}"""));

        var grouped = Detection("""
            a:
              x: 1
            b:
              y: 1
            c:
              z: 1
            """, "(a or b) and not c");
        Assert.False(grouped.Matches("""{"x":1,"z":1}"""));
        Assert.True(grouped.Matches("""{"x":1}"""));
    }

    [Fact]
    public void One_of_and_all_of_patterns_and_them()
    {
        const string body = """
            selection1:
              a: 1
            selection2:
              b: 1
            filter_x:
              c: 1
            _private:
              d: 1
            """;
        var one = Detection(body, "1 of selection* and not 1 of filter*");
        Assert.True(one.Matches("""{"b":1}"""));
        Assert.False(one.Matches("""{"b":1,"c":1}"""));

        var all = Detection(body, "all of selection*");
        Assert.True(all.Matches("""{"a":1,"b":1}"""));
        Assert.False(all.Matches("""{"a":1}"""));

        var oneOfThem = Detection(body, "1 of them");
        Assert.True(oneOfThem.Matches("""{"c":1}"""));
        Assert.False(oneOfThem.Matches("""{"d":1}"""));  // identifiers starting with _ are excluded

        var allOfThem = Detection(body, "all of them");
        Assert.True(allOfThem.Matches("""{"a":1,"b":1,"c":1}"""));
        Assert.False(allOfThem.Matches("""{"a":1,"b":1}"""));
    }

    [Fact]
    public void Condition_list_is_or()
    {
        var rule = Rule("""
            title: t
            detection:
              a:
                x: 1
              b:
                y: 1
              condition:
                - a
                - b
            """);
        Assert.True(rule.Matches("""{"y":1}"""));
        Assert.False(rule.Matches("""{"z":1}"""));
    }

    [Fact]
    public void Dotted_field_addresses_nested_objects_and_flat_keys()
    {
        var rule = Detection("""
            selection:
              event.action: eid-login
            """);
        Assert.True(rule.Matches("""{"event":{"action":"eid-login"}}"""));
        Assert.True(rule.Matches("""{"event.action":"eid-login"}"""));
        Assert.True(rule.Matches("""{"event":{"kind":"x"},"event.action":"eid-login"}"""));
        Assert.False(rule.Matches("""{"event":{"action":"other"}}"""));
    }

    [Fact]
    public void Array_values_match_if_any_element_matches()
    {
        var rule = Detection("""
            selection:
              tags: admin
            """);
        Assert.True(rule.Matches("""{"tags":["user","ADMIN"]}"""));
        Assert.False(rule.Matches("""{"tags":["user"]}"""));
    }

    [Theory]
    [InlineData("selection and", "ends unexpectedly")]
    [InlineData("selection | count() > 5", "aggregation")]
    [InlineData("nosuch", "unknown search identifier")]
    [InlineData("1 of nothing*", "matches no search identifier")]
    [InlineData("(selection", "missing ')'")]
    public void Bad_conditions_are_reported(string condition, string reason)
    {
        var message = LoadFailure($"""
            title: t
            detection:
              selection:
                a: 1
              condition: {condition}
            """);
        Assert.Contains(reason, message, StringComparison.Ordinal);
    }
}
