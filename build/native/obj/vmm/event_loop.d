build/native/obj/vmm/event_loop.o: vmm/event_loop.c vmm/event_loop.h \
 vmm/compiler.h vmm/log.h
vmm/event_loop.h:
vmm/compiler.h:
vmm/log.h:
