#pragma once
// Typed reads of JSON that came from outside the process (files, the network, handlers). A wrong
// type, a missing required field or an out-of-range number is an error value naming the source
// and the field; nothing here throws, and numbers are range-checked before they are narrowed.
//
// `source` says where the object came from ("/var/opt/azcmagent/localconfig.json", "the goal
// state"); errors read "<source>: field '<key>': <problem>" and carry exitcode::kGeneric (map them
// with withCode). getX requires the field; getOptionalX gives nullopt (nullptr for objects and
// arrays) when it is absent or null.
#include "common/error.hpp"

#include <charconv>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

namespace azcm::jsondoc {

using Json = nlohmann::json;

// 9999-12-31T23:59:59Z, the latest Unix time a document may name: later ones overflow the
// nanosecond count of a std::chrono::system_clock::time_point.
inline constexpr std::int64_t kMaxUnixSeconds = 253402300799;

template <class T>
concept Integer = std::integral<T> && !std::same_as<T, bool>;

// "<source>: field '<key>'"
std::string fieldName(std::string_view source, std::string_view key);

// Errors for `what` (a fieldName, or any description of one value).
Error typeError(std::string_view what, std::string_view expected, const Json& value);
Error rangeError(std::string_view what, std::string_view range, const Json& value);

// One value.
Result<std::string> asString(const Json& value, std::string_view what);
Result<bool> asBool(const Json& value, std::string_view what);
Result<double> asNumber(const Json& value, std::string_view what);

template <Integer T> Result<T> asInteger(const Json& value, T min, T max, std::string_view what) {
    if (value.is_number_unsigned()) {
        const auto number = value.get<std::uint64_t>();
        if (std::cmp_greater_equal(number, min) && std::cmp_less_equal(number, max)) {
            return static_cast<T>(number);
        }
    } else if (value.is_number_integer()) {
        const auto number = value.get<std::int64_t>();
        if (std::cmp_greater_equal(number, min) && std::cmp_less_equal(number, max)) {
            return static_cast<T>(number);
        }
    } else {
        return typeError(what, "an integer", value);
    }
    return rangeError(what, std::to_string(min) + " to " + std::to_string(max), value);
}

template <Integer T> Result<T> asInteger(const Json& value, std::string_view what) {
    return asInteger<T>(value, std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), what);
}

// An integer written either as a JSON number or as a string of decimal digits ("3599"), as
// token answers do.
template <Integer T>
Result<T> asIntegerOrDigits(const Json& value, T min, T max, std::string_view what) {
    if (!value.is_string()) {
        return asInteger<T>(value, min, max, what);
    }
    const auto& text = value.get_ref<const std::string&>();
    std::int64_t number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
        return makeError(exitcode::kGeneric,
                         std::string(what) + ": an integer expected, got a string that is not one");
    }
    return asInteger<T>(Json(number), min, max, what);
}

// A member of an object. nullptr when `object` is an object without `key` (or with null there);
// an error when `object` is not an object.
Result<const Json*> findMember(const Json& object, std::string_view key, std::string_view source);

Result<std::string> getString(const Json& object, std::string_view key, std::string_view source);
Result<bool> getBool(const Json& object, std::string_view key, std::string_view source);
Result<const Json*> getObject(const Json& object, std::string_view key, std::string_view source);
Result<const Json*> getArray(const Json& object, std::string_view key, std::string_view source);

Result<std::optional<std::string>>
getOptionalString(const Json& object, std::string_view key, std::string_view source);
Result<std::optional<bool>>
getOptionalBool(const Json& object, std::string_view key, std::string_view source);
Result<const Json*>
getOptionalObject(const Json& object, std::string_view key, std::string_view source);
Result<const Json*>
getOptionalArray(const Json& object, std::string_view key, std::string_view source);

template <Integer T>
Result<T>
getInteger(const Json& object, std::string_view key, T min, T max, std::string_view source) {
    BOOST_OUTCOME_TRY(member, findMember(object, key, source));
    const auto what = fieldName(source, key);
    if (member == nullptr) {
        return makeError(exitcode::kGeneric, what + ": missing");
    }
    return asInteger<T>(*member, min, max, what);
}

template <Integer T>
Result<std::optional<T>> getOptionalInteger(
    const Json& object, std::string_view key, T min, T max, std::string_view source) {
    BOOST_OUTCOME_TRY(member, findMember(object, key, source));
    if (member == nullptr) {
        return std::optional<T>();
    }
    BOOST_OUTCOME_TRY(number, asInteger<T>(*member, min, max, fieldName(source, key)));
    return std::optional<T>(number);
}

// The same result with another exit code (the caller's own for "bad input").
template <class T> Result<T> withCode(Result<T> result, int code) {
    if (!result) {
        return makeError(code, std::move(result).error().message);
    }
    return result;
}

} // namespace azcm::jsondoc
