"""Notices that leave the room: a dispatch, a summons, a warning or an escalation reaches people by
a group robot (DingTalk / 浙政钉 style), SMS or e-mail.

The server writes a notice into ``srv_notice`` in the same transaction as the act that causes it
(so nothing is announced that did not happen, and nothing that happened goes unannounced after a
crash); a delivery loop sends what is due, retries with back-off and keeps the delivery log the
room reads. Channels, rules (which event goes out through which channel) and each person's
addresses are county configuration (``commandroom notify …``).
"""
