using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>
/// The JSON schema of the <c>Kakashi</c> configuration section (docs/appsettings.schema.json), made from what
/// <see cref="KakashiConfiguration"/> binds: the same aliases, the same properties, the same value conversions, with the
/// XML documentation of each option as its description when the documentation files are beside the assemblies. A test
/// regenerates it and compares it with the committed file, so the schema cannot drift from the binder.
/// </summary>
internal static class KakashiConfigurationSchema
{
    private static readonly Dictionary<Assembly, XDocument?> s_docs = [];

    [RequiresUnreferencedCode("Reads the option types by reflection.")]
    public static string Generate()
    {
        var definitions = new JsonObject
        {
            ["LogLevel"] = new JsonObject { ["type"] = "string", ["enum"] = Names(typeof(LogLevel)) },
            ["Duration"] = new JsonObject
            {
                ["type"] = "string",
                ["pattern"] = @"^-?(\d+\.)?\d{1,2}:\d{2}(:\d{2}(\.\d{1,7})?)?$",
                ["description"] = "A duration, [d.]hh:mm[:ss[.fffffff]] (e.g. 00:00:05 for five seconds, 00:00:00.100 for 100 ms).",
            },
        };
        var pipeline = Object(typeof(AsyncPipelineConfig), definitions, exclude: []);
        var props = (JsonObject)pipeline["properties"]!;
        props["Preset"] = new JsonObject
        {
            ["type"] = "string",
            ["enum"] = new JsonArray([.. KakashiLogging.Presets.Select(p => (JsonNode)p)]),
            ["description"] = "The preset the section starts from (KakashiLogging.Setup's); in a host, the default is development in the Development environment, else production.",
        };
        props["IncludeScopes"] = new JsonObject { ["type"] = "boolean", ["description"] = "Records ILogger.BeginScope values as properties (adds a ScopeEnricher). Default true." };
        definitions["AsyncPipelineConfig"] = Sort(pipeline);
        definitions["Formatter"] = Family(KakashiConfiguration.FormatterAliases, typeof(LogFormatter), definitions);
        definitions["Writer"] = Family(KakashiConfiguration.WriterAliases, typeof(LogWriter), definitions);
        definitions["Enricher"] = Family(KakashiConfiguration.EnricherAliases, typeof(ILogEnricher), definitions);
        var schema = new JsonObject
        {
            ["$schema"] = "http://json-schema.org/draft-07/schema#",
            ["title"] = "Kakashi section of appsettings.json",
            ["description"] = "Generated from Kakashi.Extensions.Logging's binder (KakashiConfigurationSchema): do not edit by hand.",
            ["type"] = "object",
            ["properties"] = new JsonObject { [KakashiConfiguration.SectionName] = Ref("AsyncPipelineConfig") },
            ["definitions"] = SortKeys(definitions),
        };
        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static JsonObject Ref(string name) => new() { ["$ref"] = "#/definitions/" + name };

    private static JsonArray Names(Type enumType) => new([.. Enum.GetNames(enumType).Select(n => (JsonNode)n)]);

    /// <summary>A formatter, writer or enricher: its alias as a string, or an object with <c>Type</c> and its options.</summary>
    [RequiresUnreferencedCode("Reads the option types by reflection.")]
    private static JsonObject Family(IReadOnlyDictionary<string, string> aliases, Type baseType, JsonObject definitions)
    {
        var options = new JsonArray();
        foreach (var group in aliases.GroupBy(a => a.Value, StringComparer.Ordinal).OrderBy(g => g.First().Key, StringComparer.Ordinal))
        {
            var type = KakashiConfiguration.FindType(group.Key);
            if (type is null) continue; // the Kafka writer without its package: still named in Type's list
            var names = new JsonArray([.. group.Select(a => (JsonNode)a.Key)]);
            var shape = Object(type, definitions, exclude: []);
            var props = (JsonObject)shape["properties"]!;
            foreach (var parameter in Constructor(type).GetParameters())
            {
                string name = char.ToUpperInvariant(parameter.Name![0]) + parameter.Name[1..];
                props.Remove(name);
                props[name] = Value(parameter.ParameterType, definitions, Description(type, parameter));
                if (!parameter.IsOptional)
                {
                    shape["required"] ??= new JsonArray();
                    ((JsonArray)shape["required"]!).Add(name);
                }
            }
            props["Type"] = new JsonObject { ["type"] = "string", ["enum"] = names, ["description"] = Summary(type) ?? type.FullName };
            ((JsonArray)(shape["required"] ??= new JsonArray())).Insert(0, "Type");
            options.Add(Sort(shape));
        }
        var allAliases = new JsonArray([.. aliases.Keys.Order(StringComparer.Ordinal).Select(k => (JsonNode)k)]);
        var family = new JsonObject { ["anyOf"] = options };
        options.Insert(0, new JsonObject { ["type"] = "string", ["enum"] = allAliases, ["description"] = $"A {baseType.Name} by its alias, with its default options." });
        return family;
    }

    private static ConstructorInfo Constructor(Type type)
        => type.GetConstructors().OrderBy(c => c.GetParameters().Count(p => !p.IsOptional)).ThenByDescending(c => c.GetParameters().Length).First();

    [RequiresUnreferencedCode("Reads the option types by reflection.")]
    private static JsonObject Object(Type type, JsonObject definitions, HashSet<string> exclude)
    {
        var properties = new JsonObject();
        foreach (var property in KakashiConfiguration.Bindable(type))
        {
            if (exclude.Contains(property.Name)) continue;
            var value = Value(property.PropertyType, definitions, Summary(property));
            if (value is null) continue;
            properties[property.Name] = value;
        }
        var shape = new JsonObject { ["type"] = "object", ["properties"] = properties, ["additionalProperties"] = false };
        if (Summary(type) is { } summary) shape["description"] = summary;
        return shape;
    }

    /// <summary>The schema of a value of <paramref name="type"/>, or null when configuration cannot set it.</summary>
    [RequiresUnreferencedCode("Reads the option types by reflection.")]
    private static JsonObject? Value(Type type, JsonObject definitions, string? description)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        JsonObject? value;
        if (target == typeof(LogLevel)) value = Ref("LogLevel");
        else if (target == typeof(TimeSpan)) value = Ref("Duration");
        else if (target == typeof(bool)) value = new JsonObject { ["type"] = "boolean" };
        else if (target == typeof(string) || target == typeof(Uri)) value = new JsonObject { ["type"] = "string" };
        else if (target == typeof(double) || target == typeof(float) || target == typeof(decimal)) value = new JsonObject { ["type"] = "number" };
        else if (target.IsPrimitive) value = new JsonObject { ["type"] = "integer" };
        else if (target.IsEnum)
        {
            value = target.IsDefined(typeof(FlagsAttribute))
                ? new JsonObject { ["type"] = "string", ["description"] = "One or more of " + string.Join(", ", Enum.GetNames(target)) + ", separated by commas." }
                : new JsonObject { ["type"] = "string", ["enum"] = Names(target) };
        }
        else if (typeof(LogFormatter).IsAssignableFrom(target)) value = Ref("Formatter");
        else if (typeof(LogWriter).IsAssignableFrom(target)) value = Ref("Writer");
        else if (typeof(ILogEnricher).IsAssignableFrom(target)) value = Ref("Enricher");
        else if (KakashiConfiguration.DictionaryTypes(target) is { } kv)
        {
            var entry = Value(kv.Value, definitions, null);
            if (entry is null) return null;
            value = new JsonObject { ["type"] = "object", ["additionalProperties"] = entry };
            if (kv.Key == typeof(LogLevel)) value["propertyNames"] = Ref("LogLevel");
        }
        else if (KakashiConfiguration.ListElementType(target) is { } element)
        {
            var item = Value(element, definitions, null);
            if (item is null) return null;
            value = new JsonObject { ["type"] = "array", ["items"] = item };
        }
        else if (KakashiConfiguration.IsBindableObject(target))
        {
            string name = target.Name;
            if (!definitions.ContainsKey(name))
            {
                definitions[name] = new JsonObject(); // placeholder against recursion
                var shape = Object(target, definitions, exclude: []);
                var props = (JsonObject)shape["properties"]!;
                foreach (var parameter in Constructor(target).GetParameters())
                {
                    string key = char.ToUpperInvariant(parameter.Name![0]) + parameter.Name[1..];
                    props[key] = Value(parameter.ParameterType, definitions, Description(target, parameter));
                    if (!parameter.IsOptional) ((JsonArray)(shape["required"] ??= new JsonArray())).Add(key);
                }
                definitions[name] = Sort(shape);
            }
            value = Ref(name);
            if (Constructor(target).GetParameters().Count(p => !p.IsOptional) == 1)
                value = new JsonObject { ["anyOf"] = new JsonArray(Ref(name), new JsonObject { ["type"] = "string", ["description"] = "The one required option, written as the value." }) };
        }
        else
        {
            return null; // a delegate, a handler, a TimeProvider: set in code
        }
        if (description is not null)
        {
            if (value.ContainsKey("$ref")) value = new JsonObject { ["allOf"] = new JsonArray(value), ["description"] = description };
            else value["description"] = value["description"] is { } existing ? description + " " + existing.GetValue<string>() : description;
        }
        return value;
    }

    private static JsonObject Sort(JsonObject shape)
    {
        if (shape["properties"] is JsonObject props) shape["properties"] = SortKeys(props);
        return shape;
    }

    private static JsonObject SortKeys(JsonObject obj)
    {
        var sorted = new JsonObject();
        foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal).ToList())
        {
            obj.Remove(key);
            sorted[key] = value;
        }
        return sorted;
    }

    // ------------------------------------------------------------------ XML documentation

    private static string? Summary(MemberInfo member)
    {
        string id = member switch
        {
            Type t => "T:" + t.FullName,
            PropertyInfo p => "P:" + p.DeclaringType!.FullName + "." + p.Name,
            _ => "",
        };
        var assembly = member is Type type ? type.Assembly : ((PropertyInfo)member).DeclaringType!.Assembly;
        return Doc(assembly, id);
    }

    private static string? Description(Type type, ParameterInfo parameter)
    {
        var doc = Docs(type.Assembly);
        var ctor = doc?.Descendants("member").FirstOrDefault(m => ((string?)m.Attribute("name"))?.StartsWith("M:" + type.FullName + ".#ctor", StringComparison.Ordinal) == true
            && m.Elements("param").Any(p => (string?)p.Attribute("name") == parameter.Name));
        var param = ctor?.Elements("param").FirstOrDefault(p => (string?)p.Attribute("name") == parameter.Name);
        return param is null ? null : Text(param);
    }

    private static string? Doc(Assembly assembly, string id)
    {
        var summary = Docs(assembly)?.Descendants("member").FirstOrDefault(m => (string?)m.Attribute("name") == id)?.Element("summary");
        return summary is null ? null : Text(summary);
    }

    private static string Text(XElement element)
    {
        var parts = element.Nodes().Select(n => n switch
        {
            XText text => text.Value,
            XElement e when e.Attribute("cref") is { } cref => cref.Value[(cref.Value.LastIndexOf('.') + 1)..],
            XElement e when e.Attribute("langword") is { } word => word.Value,
            XElement e when e.Attribute("name") is { } name => name.Value,
            XElement e => e.Value,
            _ => "",
        });
        return string.Join(" ", string.Concat(parts).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }

    [UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "no documentation in a single-file app: the schema then has no descriptions")]
    private static XDocument? Docs(Assembly assembly)
    {
        lock (s_docs)
        {
            if (s_docs.TryGetValue(assembly, out var doc)) return doc;
            string path = Path.ChangeExtension(assembly.Location, ".xml");
            doc = assembly.Location.Length > 0 && File.Exists(path) ? XDocument.Load(path) : null;
            s_docs[assembly] = doc;
            return doc;
        }
    }
}
