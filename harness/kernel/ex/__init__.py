"""The executive's objects and services a driver calls between IRPs: event objects by
handle (ZwCreateEvent and kin) and the time conversions (ExSystemTimeToLocalTime,
RtlTimeToTimeFields)."""
