"""Messages to enterprises: policies, risk alerts, applications, objections, system notices."""
