using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Linq;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Kakashi;

/// <summary>
/// Builds an <see cref="AsyncPipelineConfig"/> from a configuration section (the <c>Kakashi</c> section of
/// appsettings.json; docs/configuration.md#appsettingsjson, docs/appsettings.schema.json): every option of the pipeline,
/// formatters by name, and writers by type name with their options. Keys are matched without regard to case; a key that
/// is not an option, a value that does not convert, or a value out of range throws <see cref="KakashiConfigurationException"/>
/// naming the configuration key (<c>Kakashi:Writers:1:WriteTimeout</c>) and what is allowed.
/// </summary>
/// <remarks>Lists (<c>Writers</c>, <c>Enrichers</c>) given in the section replace the preset's; dictionaries
/// (<c>CategoryLevels</c>) are merged into it, key by key.</remarks>
public static class KakashiConfiguration
{
    /// <summary>The configuration section the host integration reads: <c>Kakashi</c>.</summary>
    public const string SectionName = "Kakashi";

    private static readonly Dictionary<string, string> s_writers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["File"] = "Kakashi.AsyncFileWriter",
        ["Console"] = "Kakashi.ConsoleWriter",
        ["Memory"] = "Kakashi.InMemoryWriter",
        ["Network"] = "Kakashi.AsyncNetworkWriter",
        ["Http"] = "Kakashi.AsyncNetworkWriter",
        ["Seq"] = "Kakashi.AsyncNetworkWriter",
        ["Elasticsearch"] = "Kakashi.AsyncElasticsearchWriter",
        ["Syslog"] = "Kakashi.SyslogWriter",
        ["Otlp"] = "Kakashi.OtlpWriter",
        ["OpenTelemetry"] = "Kakashi.OtlpWriter",
        ["Kafka"] = "Kakashi.AsyncKafkaWriter, Kakashi.Kafka",
    };

    private static readonly Dictionary<string, string> s_formatters = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Text"] = "Kakashi.TextFormatter",
        ["Json"] = "Kakashi.JsonFormatter",
        ["Clef"] = "Kakashi.JsonFormatter",
        ["Ecs"] = "Kakashi.JsonFormatter",
        ["Syslog"] = "Kakashi.SyslogFormatter",
        ["Otlp"] = "Kakashi.OtlpFormatter",
        ["OtlpJson"] = "Kakashi.OtlpJsonFormatter",
    };

    private static readonly Dictionary<string, string> s_enrichers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Scope"] = "Kakashi.ScopeEnricher",
        ["Activity"] = "Kakashi.ActivityEnricher",
        ["Thread"] = "Kakashi.ThreadEnricher",
        ["Process"] = "Kakashi.ProcessEnricher",
        ["MachineName"] = "Kakashi.MachineNameEnricher",
        ["Application"] = "Kakashi.ApplicationEnricher",
    };

    internal static IReadOnlyDictionary<string, string> WriterAliases => s_writers;

    internal static IReadOnlyDictionary<string, string> FormatterAliases => s_formatters;

    internal static IReadOnlyDictionary<string, string> EnricherAliases => s_enrichers;

    /// <summary>The properties of <paramref name="type"/> configuration can set (what the schema lists).</summary>
    internal static IEnumerable<PropertyInfo> Bindable([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type type)
        => Settable(type).Where(p => !IsHiddenFromConfiguration(p.PropertyType));

    private static bool IsHiddenFromConfiguration(Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        return typeof(Delegate).IsAssignableFrom(target) || target == typeof(TimeProvider) || typeof(System.Net.Http.HttpMessageHandler).IsAssignableFrom(target)
            || typeof(System.Security.Cryptography.X509Certificates.X509Certificate).IsAssignableFrom(target);
    }

    internal static (Type Key, Type Value)? DictionaryTypes(Type type) => Dictionary(type);

    internal static Type? ListElementType(Type type) => ListElement(type);

    /// <summary>A class configuration builds from its keys (options objects such as RetryOptions, DiskSpool).</summary>
    internal static bool IsBindableObject(Type type) => type.IsClass && !type.IsAbstract && !IsHiddenFromConfiguration(type) && type.GetConstructors().Length > 0;

    /// <summary>Keys of the section that are not <see cref="AsyncPipelineConfig"/> properties: the preset, and whether <c>ILogger</c> scopes are recorded.</summary>
    private static readonly HashSet<string> s_hostKeys = new(StringComparer.OrdinalIgnoreCase) { "Preset", "IncludeScopes" };

    /// <summary>
    /// A configuration from <paramref name="section"/>: the preset it names (<c>Preset</c>, else <paramref name="defaultPreset"/>,
    /// else an empty configuration), with the section's values applied.
    /// </summary>
    /// <exception cref="KakashiConfigurationException">A key is unknown or a value invalid; the message names the key.</exception>
    [RequiresUnreferencedCode("Binds options to writer and formatter types found by name.")]
    public static AsyncPipelineConfig Load(IConfiguration section, string? defaultPreset = null)
    {
        ArgumentNullException.ThrowIfNull(section);
        return Bind(PresetOf(section, defaultPreset), section);
    }

    /// <summary>The configuration of the preset the section names (<c>Preset</c>, else <paramref name="defaultPreset"/>), before the section's values.</summary>
    /// <exception cref="KakashiConfigurationException">The preset is unknown (the key is <c>Kakashi:Preset</c>).</exception>
    internal static AsyncPipelineConfig PresetOf(IConfiguration section, string? defaultPreset)
    {
        string? preset = section["Preset"] ?? defaultPreset;
        try
        {
            return preset is null ? new AsyncPipelineConfig() : KakashiLogging.CreateConfig(preset);
        }
        catch (ArgumentException e)
        {
            throw new KakashiConfigurationException(Key(section, "Preset"), e.Message, e);
        }
    }

    /// <summary>Applies the values of <paramref name="section"/> to <paramref name="config"/>.</summary>
    /// <exception cref="KakashiConfigurationException">A key is unknown or a value invalid; the message names the key.</exception>
    [RequiresUnreferencedCode("Binds options to writer and formatter types found by name.")]
    public static AsyncPipelineConfig Bind(AsyncPipelineConfig config, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(section);
        BindProperties(config, section, s_hostKeys);
        return config;
    }

    /// <summary>
    /// Checks <paramref name="config"/> as the pipeline would and names the configuration key of a bad value
    /// (<c>Writers[1].WriteTimeout</c> becomes <c>Kakashi:Writers:1:WriteTimeout</c>).
    /// </summary>
    internal static AsyncPipeline Build(AsyncPipelineConfig config, string sectionPath)
    {
        try
        {
            return new AsyncPipeline(config);
        }
        catch (ArgumentException e) when (e.ParamName is { Length: > 0 } property)
        {
            string key = sectionPath + ":" + property.Replace("[", ":", StringComparison.Ordinal).Replace("]", "", StringComparison.Ordinal).Replace('.', ':');
            string message = e.Message.Replace($" (Parameter '{property}')", "", StringComparison.Ordinal).ReplaceLineEndings(" ");
            throw new KakashiConfigurationException(key, message, e);
        }
    }

    // ------------------------------------------------------------------ binding

    private static string Key(IConfiguration section, string name) => section is IConfigurationSection s && s.Path.Length > 0 ? s.Path + ":" + name : name;

    [RequiresUnreferencedCode("Binds options by reflection.")]
    private static void BindProperties(object target, IConfiguration section, HashSet<string>? skip)
    {
        var type = target.GetType();
        foreach (var child in section.GetChildren())
        {
            if (skip is not null && skip.Contains(child.Key)) continue;
            var property = FindProperty(type, child.Key);
            if (property is null)
            {
                var names = Settable(type).Select(p => p.Name).Where(n => skip is null || !skip.Contains(n)).Order(StringComparer.Ordinal);
                throw new KakashiConfigurationException(child.Path, $"{child.Key} is not an option of {type.Name}; the options are {string.Join(", ", names)}.");
            }
            Assign(target, property, child);
        }
    }

    private static IEnumerable<PropertyInfo> Settable([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type type)
        => type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true } || IsMutableList(p.PropertyType));

    // a list property without a setter is filled in place (IList); read-only views (IReadOnlyList) are results, not options
    private static bool IsMutableList(Type type) => type.IsGenericType && type.GetGenericTypeDefinition() is var d && (d == typeof(IList<>) || d == typeof(List<>));

    private static PropertyInfo? FindProperty([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type type, string name)
    {
        foreach (var property in Settable(type))
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase)) return property;
        }
        return null;
    }

    [RequiresUnreferencedCode("Binds options by reflection.")]
    private static void Assign(object target, PropertyInfo property, IConfigurationSection section)
    {
        var type = property.PropertyType;
        if (Dictionary(type) is { } kv)
        {
            var existing = property.GetValue(target);
            var merged = NewDictionary(kv.Key, kv.Value, existing as IEnumerable);
            foreach (var entry in section.GetChildren())
            {
                object key = Convert(entry.Key, kv.Key, entry.Path, isKey: true)!;
                merged[key] = Value(entry, kv.Value);
            }
            Set(target, property, merged, section.Path);
            return;
        }
        if (ListElement(type) is { } element)
        {
            var items = section.GetChildren().ToList();
            var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
            foreach (var item in items.OrderBy(i => int.TryParse(i.Key, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : int.MaxValue))
                list.Add(Value(item, element));
            object value = list;
            if (type.IsArray)
            {
                var array = Array.CreateInstance(element, list.Count);
                list.CopyTo(array, 0);
                value = array;
            }
            Set(target, property, value, section.Path);
            return;
        }
        Set(target, property, Value(section, type), section.Path);
    }

    private static void Set(object target, PropertyInfo property, object? value, string key)
    {
        if (property.SetMethod is not { IsPublic: true })
        {
            // a collection property without a setter: fill it
            if (property.GetValue(target) is IList list && value is IEnumerable items)
            {
                list.Clear();
                foreach (var item in items) list.Add(item);
                return;
            }
            throw new KakashiConfigurationException(key, $"{property.Name} cannot be set from configuration.");
        }
        try
        {
            property.SetValue(target, value);
        }
        catch (TargetInvocationException e) when (e.InnerException is ArgumentException or InvalidOperationException)
        {
            throw new KakashiConfigurationException(key, e.InnerException.Message, e.InnerException);
        }
    }

    /// <summary>The value of <paramref name="section"/> as <paramref name="type"/>: a scalar, or an object built from its keys.</summary>
    [RequiresUnreferencedCode("Binds options by reflection.")]
    private static object? Value(IConfigurationSection section, Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (IsScalar(target)) return Convert(section.Value, type, section.Path, isKey: false);
        if (typeof(LogFormatter).IsAssignableFrom(target)) return Create(section, s_formatters, typeof(LogFormatter), "formatter");
        if (typeof(LogWriter).IsAssignableFrom(target)) return Create(section, s_writers, typeof(LogWriter), "writer");
        if (typeof(ILogEnricher).IsAssignableFrom(target)) return Create(section, s_enrichers, typeof(ILogEnricher), "enricher");
        if (IsHiddenFromConfiguration(target) || target.IsAbstract || target.IsInterface)
            throw new KakashiConfigurationException(section.Path, $"a {target.Name} cannot be set from configuration; set it in code (the configure callback of AddKakashi).");
        return Construct(target, section, single: section.Value);
    }

    private static bool IsScalar(Type type) => type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal)
        || type == typeof(TimeSpan) || type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(Uri) || type == typeof(Guid);

    /// <summary>A formatter, writer or enricher named by <c>Type</c> (an alias or a type name), or by the section's own value.</summary>
    [RequiresUnreferencedCode("Finds types by name.")]
    private static object Create(IConfigurationSection section, Dictionary<string, string> aliases, Type baseType, string what)
    {
        string? name = section.Value ?? section["Type"];
        if (string.IsNullOrWhiteSpace(name))
            throw new KakashiConfigurationException(Key(section, "Type"), $"the {what} needs a Type: one of {string.Join(", ", aliases.Keys)}, or a type name.");
        var typeName = aliases.TryGetValue(name, out var alias) ? alias : name;
        var type = FindType(typeName);
        if (type is null || !baseType.IsAssignableFrom(type) || type.IsAbstract)
        {
            string hint = typeName.Contains("Kafka", StringComparison.OrdinalIgnoreCase) ? " (the Kafka writer is in the Kakashi.Kafka package: reference it)" : "";
            throw new KakashiConfigurationException(section.Value is null ? Key(section, "Type") : section.Path,
                $"'{name}' is not a {what} type{hint}: use one of {string.Join(", ", aliases.Keys)}, or the full name of a {baseType.Name} type.");
        }
        var created = Construct(type, section, single: null, skip: "Type");
        if (created is JsonFormatter && aliases == s_formatters && section["Fields"] is null && !string.Equals(name, "Json", StringComparison.OrdinalIgnoreCase))
        {
            // "Clef" and "Ecs" are the JSON formatter with those fields (an init property, set like a bound key)
            var fields = string.Equals(name, "Clef", StringComparison.OrdinalIgnoreCase) ? JsonFieldSet.Clef : JsonFieldSet.Ecs;
            typeof(JsonFormatter).GetProperty(nameof(JsonFormatter.Fields))!.SetValue(created, fields);
        }
        return created;
    }

    [RequiresUnreferencedCode("Finds types by name.")]
    internal static Type? FindType(string name)
    {
        var type = Type.GetType(name, throwOnError: false, ignoreCase: true);
        if (type is not null) return type;
        if (name.Contains(',', StringComparison.Ordinal))
        {
            try
            {
                var assemblyName = name[(name.IndexOf(',', StringComparison.Ordinal) + 1)..].Trim();
                var assembly = Assembly.Load(assemblyName);
                return assembly.GetType(name[..name.IndexOf(',', StringComparison.Ordinal)].Trim(), throwOnError: false, ignoreCase: true);
            }
            catch (Exception e) when (e is System.IO.IOException or BadImageFormatException or ArgumentException)
            {
                return null;
            }
        }
        foreach (var assembly in new[] { typeof(AsyncPipeline).Assembly, typeof(KakashiConfiguration).Assembly })
        {
            type = assembly.GetType(name, throwOnError: false, ignoreCase: true);
            if (type is not null) return type;
        }
        return null;
    }

    /// <summary>
    /// Builds <paramref name="type"/> with the public constructor whose parameters the section's keys cover (optional ones
    /// may be left out), then sets its other keys as properties.
    /// </summary>
    [RequiresUnreferencedCode("Binds options by reflection.")]
    private static object Construct(Type type, IConfigurationSection section, string? single, string? skip = null)
    {
        var keys = section.GetChildren().Select(c => c.Key).Where(k => skip is null || !string.Equals(k, skip, StringComparison.OrdinalIgnoreCase)).ToList();
        ConstructorInfo? constructor = Constructor(type, keys);
        if (constructor is null && single is not null)
        {
            // "Spool": "/var/spool/app": the one required constructor argument written as the value itself
            constructor = type.GetConstructors().FirstOrDefault(c => c.GetParameters().Count(p => !p.IsOptional) == 1);
            if (constructor is not null)
            {
                var p = constructor.GetParameters();
                var args = new object?[p.Length];
                for (int i = 0; i < p.Length; i++) args[i] = p[i].IsOptional ? p[i].DefaultValue : Convert(single, p[i].ParameterType, section.Path, isKey: false);
                return Invoke(constructor, args, section.Path);
            }
        }
        if (constructor is null)
        {
            var needed = type.GetConstructors().Select(c => string.Join(", ", c.GetParameters().Where(p => !p.IsOptional).Select(p => Pascal(p.Name!))))
                .Where(s => s.Length > 0);
            throw new KakashiConfigurationException(section.Path, $"{type.Name} needs {string.Join(" or ", needed)}.");
        }
        var parameters = constructor.GetParameters();
        var values = new object?[parameters.Length];
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (skip is not null) used.Add(skip);
        for (int i = 0; i < parameters.Length; i++)
        {
            var child = section.GetChildren().FirstOrDefault(c => string.Equals(c.Key, parameters[i].Name, StringComparison.OrdinalIgnoreCase));
            if (child is null)
            {
                values[i] = parameters[i].DefaultValue is DBNull ? null : parameters[i].DefaultValue;
                continue;
            }
            used.Add(child.Key);
            values[i] = Value(child, parameters[i].ParameterType);
        }
        var instance = Invoke(constructor, values, section.Path);
        BindProperties(instance, section, used);
        return instance;
    }

    private static object Invoke(ConstructorInfo constructor, object?[] args, string key)
    {
        try
        {
            return constructor.Invoke(args);
        }
        catch (TargetInvocationException e) when (e.InnerException is ArgumentException or InvalidOperationException or FormatException)
        {
            var parameter = (e.InnerException as ArgumentException)?.ParamName;
            throw new KakashiConfigurationException(parameter is null ? key : key + ":" + Pascal(parameter), e.InnerException.Message, e.InnerException);
        }
    }

    /// <summary>The constructor whose required parameters all have keys, covering the most keys (then the shortest).</summary>
    private static ConstructorInfo? Constructor([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] Type type, IReadOnlyCollection<string> keys)
    {
        ConstructorInfo? best = null;
        int bestCovered = -1;
        foreach (var constructor in type.GetConstructors())
        {
            var parameters = constructor.GetParameters();
            bool ok = true;
            int covered = 0;
            foreach (var p in parameters)
            {
                bool present = keys.Any(k => string.Equals(k, p.Name, StringComparison.OrdinalIgnoreCase));
                if (present) covered++;
                else if (!p.IsOptional) ok = false;
            }
            if (ok && (covered > bestCovered || (covered == bestCovered && parameters.Length < best!.GetParameters().Length)))
            {
                best = constructor;
                bestCovered = covered;
            }
        }
        return best;
    }

    private static string Pascal(string name) => name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name[1..];

    private static object? Convert(string? text, Type type, string key, bool isKey)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (text is null || (text.Length == 0 && target != typeof(string)))
        {
            if (!type.IsValueType || Nullable.GetUnderlyingType(type) is not null) return null;
            throw new KakashiConfigurationException(key, $"a {Describe(target)} is needed, not an empty value.");
        }
        if (target == typeof(string)) return text;
        if (target.IsEnum)
        {
            bool flags = target.IsDefined(typeof(FlagsAttribute));
            if (text.Trim().Length > 0 && !char.IsAsciiDigit(text.Trim()[0]) && !text.Trim().StartsWith('-')
                && Enum.TryParse(target, text, ignoreCase: true, out var parsed) && (flags || Enum.IsDefined(target, parsed!))) return parsed;
            throw new KakashiConfigurationException(key, $"'{text}' is not a {target.Name}: use {(flags ? "one or more of" : "one of")} {string.Join(", ", Enum.GetNames(target))}{(flags ? ", separated by commas" : "")}.");
        }
        var culture = CultureInfo.InvariantCulture;
        bool ok;
        object? value;
        switch (Type.GetTypeCode(target))
        {
            case TypeCode.Boolean: ok = bool.TryParse(text, out var b); value = b; break;
            case TypeCode.Int32: ok = int.TryParse(text, NumberStyles.Integer, culture, out var i); value = i; break;
            case TypeCode.Int64: ok = long.TryParse(text, NumberStyles.Integer, culture, out var l); value = l; break;
            case TypeCode.Int16: ok = short.TryParse(text, NumberStyles.Integer, culture, out var s); value = s; break;
            case TypeCode.UInt16: ok = ushort.TryParse(text, NumberStyles.Integer, culture, out var us); value = us; break;
            case TypeCode.UInt32: ok = uint.TryParse(text, NumberStyles.Integer, culture, out var ui); value = ui; break;
            case TypeCode.UInt64: ok = ulong.TryParse(text, NumberStyles.Integer, culture, out var ul); value = ul; break;
            case TypeCode.Byte: ok = byte.TryParse(text, NumberStyles.Integer, culture, out var by); value = by; break;
            case TypeCode.Double: ok = double.TryParse(text, NumberStyles.Float, culture, out var d); value = d; break;
            case TypeCode.Single: ok = float.TryParse(text, NumberStyles.Float, culture, out var f); value = f; break;
            case TypeCode.Decimal: ok = decimal.TryParse(text, NumberStyles.Number, culture, out var m); value = m; break;
            default:
                if (target == typeof(TimeSpan)) { ok = TimeSpan.TryParse(text, culture, out var t); value = t; }
                else if (target == typeof(Uri)) { ok = Uri.TryCreate(text, UriKind.RelativeOrAbsolute, out var u); value = u; }
                else if (target == typeof(Guid)) { ok = Guid.TryParse(text, out var g); value = g; }
                else if (target == typeof(DateTimeOffset)) { ok = DateTimeOffset.TryParse(text, culture, DateTimeStyles.None, out var dto); value = dto; }
                else { ok = false; value = null; }
                break;
        }
        if (!ok) throw new KakashiConfigurationException(key, $"'{text}' is not a {Describe(target)}{(isKey ? " (as a key)" : "")}.");
        return value;
    }

    private static string Describe(Type type) => Type.GetTypeCode(type) switch
    {
        TypeCode.Boolean => "boolean (true or false)",
        TypeCode.Int32 => $"whole number from {int.MinValue} to {int.MaxValue}",
        TypeCode.Int64 => $"whole number from {long.MinValue} to {long.MaxValue}",
        TypeCode.Double or TypeCode.Single or TypeCode.Decimal => "number",
        _ when type == typeof(TimeSpan) => "duration ([d.]hh:mm:ss[.fff], e.g. 00:00:05)",
        _ => type.Name,
    };

    private static (Type Key, Type Value)? Dictionary(Type type)
    {
        if (!type.IsGenericType) return null;
        var definition = type.GetGenericTypeDefinition();
        if (definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>) || definition == typeof(Dictionary<,>))
        {
            var args = type.GetGenericArguments();
            return (args[0], args[1]);
        }
        return null;
    }

    private static Type? ListElement(Type type)
    {
        if (type.IsArray) return type.GetElementType();
        if (!type.IsGenericType) return null;
        var definition = type.GetGenericTypeDefinition();
        return definition == typeof(IList<>) || definition == typeof(List<>) || definition == typeof(IReadOnlyList<>) || definition == typeof(IEnumerable<>)
            || definition == typeof(ICollection<>) ? type.GetGenericArguments()[0] : null;
    }

    [RequiresUnreferencedCode("Makes a dictionary type.")]
    private static IDictionary NewDictionary(Type key, Type value, IEnumerable? existing)
    {
        var dictionary = key == typeof(string)
            ? (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(key, value), StringComparer.Ordinal)!
            : (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(key, value))!;
        if (existing is not null)
        {
            foreach (var item in existing)
            {
                var itemType = item!.GetType();
                dictionary[itemType.GetProperty("Key")!.GetValue(item)!] = itemType.GetProperty("Value")!.GetValue(item);
            }
        }
        return dictionary;
    }

    // ------------------------------------------------------------------ levels (what reloads live)

    /// <summary>
    /// The minimum levels <paramref name="configuration"/> gives: <c>Kakashi:MinLevel</c> and <c>Kakashi:CategoryLevels</c>,
    /// else, for each, Microsoft.Extensions.Logging's <c>Logging:LogLevel</c> (<c>Default</c>, and the category entries
    /// without a <c>*</c>; <c>Logging:Kakashi:LogLevel</c> wins over it), else null: the configuration does not say.
    /// </summary>
    internal static (LogLevel? Min, Dictionary<string, LogLevel>? Categories) Levels(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        LogLevel? min = section["MinLevel"] is { } text ? (LogLevel)Convert(text, typeof(LogLevel), Key(section, "MinLevel"), false)! : null;
        Dictionary<string, LogLevel>? categories = null;
        var categorySection = section.GetSection("CategoryLevels");
        if (categorySection.GetChildren().Any())
        {
            categories = new Dictionary<string, LogLevel>(StringComparer.Ordinal);
            foreach (var child in categorySection.GetChildren()) categories[child.Key] = (LogLevel)Convert(child.Value, typeof(LogLevel), child.Path, false)!;
        }
        if (min is null || categories is null)
        {
            var mel = new Dictionary<string, LogLevel>(StringComparer.Ordinal);
            LogLevel? melDefault = null;
            foreach (var path in new[] { "Logging:LogLevel", "Logging:Kakashi:LogLevel" })
            {
                foreach (var child in configuration.GetSection(path).GetChildren())
                {
                    if (child.Value is null || child.Key.Contains('*', StringComparison.Ordinal)) continue;
                    var level = (LogLevel)Convert(child.Value, typeof(LogLevel), child.Path, false)!;
                    if (string.Equals(child.Key, "Default", StringComparison.OrdinalIgnoreCase)) melDefault = level;
                    else mel[child.Key] = level;
                }
            }
            min ??= melDefault;
            if (categories is null && mel.Count > 0) categories = mel;
        }
        return (min, categories);
    }
}

/// <summary>A configuration value Kakashi cannot use: <see cref="Key"/> names it (<c>Kakashi:Writers:1:WriteTimeout</c>), the message says what is allowed.</summary>
public sealed class KakashiConfigurationException : InvalidOperationException
{
    /// <summary>A bad value at <paramref name="key"/>.</summary>
    public KakashiConfigurationException(string key, string message, Exception? inner = null)
        : base($"{key}: {message}", inner)
    {
        Key = key;
    }

    /// <summary>The configuration key of the bad value.</summary>
    public string Key { get; }
}
